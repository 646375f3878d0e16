// @kalisto/relay — listeners that log devices and legacy apps in with a relay credential and carry
// their mail to Microsoft 365 over OAuth2 through a Kalisto session.
export {};
