'use strict';

const { Controller } = require('egg');

class UserController extends Controller {
  async login() {
    const { ctx } = this;
    ctx.validate({ username: 'string', password: 'string' });
    const { username, password } = ctx.request.body;
    ctx.logger.info('login attempt user=%s password=%s', username, password); // expect: sensitive-data-logged
    if (password !== 'demo') {
      ctx.status = 401;
      ctx.body = { error: 'invalid credentials' };
      return;
    }
    ctx.session.user = { name: username }; // a cookie session: a new cookie value, no fixation
    ctx.body = { ok: true };
  }

  async logout() {
    const { ctx } = this;
    ctx.session = null;
    ctx.unsafeRedirect(ctx.query.next || '/'); // expect: open-redirect-from-request
  }
}

module.exports = UserController;
