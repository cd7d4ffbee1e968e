'use strict';

const path = require('path');

module.exports = appInfo => {
  const config = exports = {};

  config.security = {
    hsts: {
      // "The load balancer does that" — it does not.
      enable: false, // expect: hsts-disabled
    },
  };

  config.session = {
    // The web front end reads the session cookie from JS.
    httpOnly: false, // expect: session-cookie-not-http-only
  };

  config.cors = {
    origin: '*', // expect: cors-credentials-with-any-origin
    credentials: true,
  };

  config.logger = {
    level: 'INFO',
    dir: path.join(appInfo.HOME, 'logs', appInfo.name),
  };

  config.onerror = {
    errorPageUrl: '/50x.html',
  };

  return config;
};
