// Response helpers shared by the HTTP modules: JSON with Mesos's jsonp= support, plain text.

/** JSON body, or `callback(json);` as text/javascript when the query has jsonp=callback. */
export function json(body: unknown, request: Request, status = 200): Response {
  const text = JSON.stringify(body);
  const callback = new URL(request.url).searchParams.get("jsonp");
  if (callback !== null && /^[A-Za-z_$][\w$.]*$/.test(callback)) {
    return new Response(`${callback}(${text});`, { status, headers: { "content-type": "text/javascript" } });
  }
  return new Response(text, { status, headers: { "content-type": "application/json" } });
}

export function text(body: string, status: number, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8", ...headers } });
}

export function empty(status: number, headers: Record<string, string> = {}): Response {
  return new Response(null, { status, headers });
}
