import { Router } from 'express';

const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Wharf</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;line-height:1.5;color:#222}code{background:#f3f3f3;padding:.1rem .3rem}</style>
</head>
<body>
<h1>Wharf</h1>
<p>A container registry with Harbor's API. The web portal is on its way; until then use the clients and the API:</p>
<ul>
<li><code>docker login HOST</code>, then push and pull <code>HOST/&lt;project&gt;/&lt;repository&gt;:&lt;tag&gt;</code></li>
<li>The Harbor REST API v2.0 under <a href="/api/v2.0/systeminfo"><code>/api/v2.0</code></a></li>
</ul>
</body>
</html>
`;

/** `/`: the portal's place; a minimal page until the portal exists. */
export function portalRoutes(externalHost: string): Router {
  const router = Router();
  router.get('/', (_req, res) => {
    res.type('html').set('Cache-Control', 'no-cache').send(PAGE.replaceAll('HOST', externalHost));
  });
  return router;
}
