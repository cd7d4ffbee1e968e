'use strict';

// a plugin's app/router.js: egg never loads it, the framework's loadRouter does
module.exports = app => {
  app.router.get(`/${app.config.appId}/pageDoc`, async ctx => {
    ctx.body = 'doc';
  });
};
