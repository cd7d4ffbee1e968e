'use strict';

module.exports = app => {
  const { router, controller } = app;

  router.get('/health', controller.health.index);
  router.post('/api/login', controller.user.login);
  router.get('/api/logout', controller.user.logout);

  router.get('/api/products', controller.product.index);
  router.get('/api/products/:id', controller.product.show);

  router.resources('orders', '/api/orders', controller.order);
};
