/**
 * The hub's HTTP application, apart from the line that listens: tests call `app.request()`
 * on it in-process. Every request body is validated by a schema from shared/; a request that
 * fails validation gets `invalid-request` with the issues, and changes nothing.
 */
import { registerAgentRoutes } from './agents/routes.ts';
import { OpenAPIHono } from '@hono/zod-openapi';
import { serveStatic } from '@hono/node-server/serve-static';
import { BEARER_SCHEME } from './auth/middleware.ts';
import { registerAuthRoutes } from './auth/routes.ts';
import { registerSecondFactorRoutes } from './auth/mfa-routes.ts';
import { registerCollectionRoutes } from './collections/routes.ts';
import { HUB_VERSION, registerHealthRoutes } from './health/routes.ts';
import { compressAnswers } from './http/compression.ts';
import { useEdge } from './http/edge.ts';
import { errorBody, handleError } from './http/errors.ts';
import type { AppEnv, HubDeps } from './http/context.ts';
import { registerDeviceRoutes } from './devices/routes.ts';
import { registerQuoteRoutes } from './quote/routes.ts';
import { registerReviewRoutes } from './review/routes.ts';
import { registerTariffRoutes } from './tariffs/routes.ts';
import { registerSyncRoutes } from './sync/routes.ts';
import { registerPrepaidRoutes } from './prepaid/routes.ts';
import { registerAccountRoutes } from './accounts/routes.ts';

export interface AppOptions {
  /** A built client to serve at `/`; without it only the API is served. */
  readonly staticDir?: string;
  /** Serve the client's source maps (`*.map`) too: for debugging, never by default. */
  readonly serveSourceMaps?: boolean;
}

export function createApp(deps: HubDeps, options: AppOptions = {}): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        const issues = result.error.issues.map((issue) => ({
          path: issue.path.join('.'),
          message: issue.message,
        }));
        const first = issues[0];
        const message = first
          ? `Invalid request: ${first.path || 'body'}: ${first.message}`
          : 'Invalid request.';
        return c.json(errorBody('invalid-request', message, issues), 400);
      }
      return undefined;
    },
  });
  app.onError(handleError);
  app.notFound((c) =>
    c.json(errorBody('not-found', `Nothing at ${c.req.path.slice(0, 200)}.`), 404),
  );
  app.use('*', async (c, next) => {
    c.set('deps', deps);
    await next();
  });
  // Security headers on every answer; for the API, sign-in and body limits before any route.
  const policiesKnown = useEdge(app);
  // Answers and the app's files go gzipped to clients that accept it: a first install or an
  // update over 2G downloads a third of the bytes.
  app.use('*', compressAnswers());
  registerHealthRoutes(app);
  registerAuthRoutes(app);
  registerSecondFactorRoutes(app);
  registerSyncRoutes(app);
  registerPrepaidRoutes(app);
  registerAccountRoutes(app);
  registerCollectionRoutes(app);
  registerQuoteRoutes(app);
  registerDeviceRoutes(app);
  registerTariffRoutes(app);
  registerReviewRoutes(app);
  registerAgentRoutes(app);
  policiesKnown();
  app.openAPIRegistry.registerComponent('securitySchemes', BEARER_SCHEME, {
    type: 'http',
    scheme: 'bearer',
    description: 'The token a sign-in answers with (POST /api/auth/agent or /api/auth/supervisor).',
  });
  // Made at the first request and kept: the routes do not change while the app runs, and
  // building it takes about 10 ms (doc31 would build it again for every request).
  let openApiJson: string | undefined;
  app.get('/api/openapi.json', (c) => {
    openApiJson ??= JSON.stringify(
      app.getOpenAPI31Document({
        openapi: '3.1.0',
        info: {
          title: 'Gridtally hub',
          version: HUB_VERSION,
          description: 'Offline-first electricity bill payments: sync hub API.',
        },
      }),
    );
    return c.body(openApiJson, 200, { 'content-type': 'application/json' });
  });
  app.all('/api/*', (c) =>
    c.json(errorBody('not-found', `No API route ${c.req.method} ${c.req.path}.`), 404),
  );
  if (options.staticDir) {
    const root = options.staticDir;
    if (!options.serveSourceMaps)
      app.use('/*', async (c, next) => {
        if (c.req.path.endsWith('.map'))
          return c.json(errorBody('not-found', 'No such file.'), 404);
        await next();
      });
    app.use('/*', serveStatic({ root }));
    // Any other path is a screen of the single-page app.
    app.get('/*', serveStatic({ root, path: 'index.html' }));
  }
  return app;
}
