'use strict';

module.exports = options => {
  return async function auth(ctx, next) { // expect: middleware-input-not-validated
    const header = ctx.get(options.tokenHeader);
    if (!ctx.session.user && !header) {
      ctx.status = 401;
      ctx.body = { error: 'login required' };
      return;
    }
    await next();
  };
};
