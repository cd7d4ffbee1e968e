'use strict';

// Framework-wide defaults: every yadan app gets these unless it overrides them.
module.exports = appInfo => {
  const config = {};

  config.security = {
    csrf: {
      headerName: 'x-yadan-csrf',
    },
    hsts: {
      enable: true,
      maxAge: 15552000,
    },
    xframe: {
      value: 'DENY',
    },
  };

  config.session = {
    key: 'YADAN_SESS',
    maxAge: 2 * 3600 * 1000,
  };

  config.bodyParser = {
    jsonLimit: '256kb',
  };

  config.yadan = {
    name: appInfo.name,
  };

  return config;
};
