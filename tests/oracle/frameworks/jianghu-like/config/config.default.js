'use strict';

module.exports = () => {
  const config = {};
  config.appId = 'jianghu';
  return config;
};
