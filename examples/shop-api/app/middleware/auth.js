'use strict';

module.exports = options => {
  return async function auth(ctx, next) {
    const header = ctx.get(options.tokenHeader);
    if (!ctx.session.user && !header) {
      ctx.status = 401;
      ctx.body = { error: 'login required' };
      return;
    }
    ctx.apiToken = header; // expect: middleware-input-not-validated
    await next();
  };
};
