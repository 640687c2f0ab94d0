fn main() -> std::process::ExitCode {
    raisfast::cli::main()
}
