'use strict';

// @jianghujs/jianghu 5.0.9's app/router.js: paths built from a config value
module.exports = app => {

  const { router, controller, config } = app;
  const { appId } = config;

  router.get('/', controller.page.index);
  router.get(`/${appId}/`, controller.page.index);
  router.get(`/${appId}/page/`, controller.page.index);

  router.get(`/${appId}/page/:pageName`, controller.page.page);
  router.get(`/${appId}/page/:pageName/*`, controller.page.page);

  router.post(`/${appId}/resource`, controller.resource.httpRequest);
};
