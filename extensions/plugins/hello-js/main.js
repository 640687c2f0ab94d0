import { logInfo, kvGet, kvSet, configGet, ok } from 'sdk';

// Every time content is created, you'll see the log.
export function on_content_created(input) {
  const data = JSON.parse(input);
  logInfo("new content: " + data.id);
}

// GET /api/v1/plugins/com.raisfast.hello-js/hello?name=Ada
export function hello(req) {
  const visits = (kvGet("visits") ?? 0) + 1;
  kvSet("visits", visits);
  return ok({ message: `${configGet("greeting")}, ${req.query.name ?? "world"}!`, visits });
}
