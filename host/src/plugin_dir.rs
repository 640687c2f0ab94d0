//! Reading a plugin's own files (its manifest, sources, migrations and
//! component) as capabilities: every path is opened inside the plugin's
//! directory with cap-std, so no symbolic link, `..` or absolute path leads
//! out of it, and only regular files are read. A plugin directory holding a
//! link to `/etc/shadow` named `migrations/001.sql` gets an error, not the file.

use cap_std::fs::Dir;
use std::io;
use std::path::Path;

fn open(dir: &Path) -> io::Result<Dir> {
    Dir::open_ambient_dir(dir, cap_std::ambient_authority())
}

fn regular(d: &Dir, rel: &Path) -> io::Result<()> {
    let meta = d.metadata(rel)?;
    if meta.is_file() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file inside the plugin directory",
        ))
    }
}

/// The bytes of `rel`, a regular file inside `dir`.
pub fn read(dir: &Path, rel: &Path) -> io::Result<Vec<u8>> {
    let d = open(dir)?;
    regular(&d, rel)?;
    d.read(rel)
}

/// The text of `rel`, a regular file inside `dir`.
pub fn read_to_string(dir: &Path, rel: &Path) -> io::Result<String> {
    let d = open(dir)?;
    regular(&d, rel)?;
    d.read_to_string(rel)
}

/// The size of `rel`, a regular file inside `dir`.
pub fn file_len(dir: &Path, rel: &Path) -> io::Result<u64> {
    let d = open(dir)?;
    regular(&d, rel)?;
    Ok(d.metadata(rel)?.len())
}

/// The names of the regular files directly in `dir/sub` (not links), sorted;
/// empty when `sub` does not exist.
pub fn files_in(dir: &Path, sub: &Path) -> io::Result<Vec<String>> {
    let d = open(dir)?;
    let sub = match d.open_dir(sub) {
        Ok(s) => s,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut names = Vec::new();
    for entry in sub.entries()? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_out_of_the_directory_are_not_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tmp.path().join("secret.txt");
        std::fs::write(&outside, "secret").unwrap();
        let dir = tmp.path().join("plugin");
        std::fs::create_dir_all(dir.join("migrations")).unwrap();
        std::fs::write(dir.join("migrations/001_ok.sql"), "SELECT 1").unwrap();
        std::os::unix::fs::symlink(&outside, dir.join("migrations/002_leak.sql")).unwrap();
        std::os::unix::fs::symlink(&outside, dir.join("main.js")).unwrap();
        std::os::unix::fs::symlink(tmp.path(), dir.join("up")).unwrap();
        assert!(read_to_string(&dir, Path::new("main.js")).is_err());
        assert!(read_to_string(&dir, Path::new("up/secret.txt")).is_err());
        assert!(read_to_string(&dir, Path::new("../secret.txt")).is_err());
        assert!(read(&dir, Path::new("/etc/hostname")).is_err());
        assert_eq!(
            files_in(&dir, Path::new("migrations")).unwrap(),
            vec!["001_ok.sql".to_string()]
        );
        assert_eq!(
            read_to_string(&dir, Path::new("migrations/001_ok.sql")).unwrap(),
            "SELECT 1"
        );
        assert!(files_in(&dir, Path::new("up")).is_err());
        assert!(files_in(&dir, Path::new("missing")).unwrap().is_empty());
    }
}
