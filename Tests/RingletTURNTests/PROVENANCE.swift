// PROVENANCE of the reference values in RingletTURNTests.
// (A .md file here would be an unhandled resource: Package.swift declares none for this target.)
//
// - TURN REST password (`TURNRESTCredentialTests.password`): computed independently with OpenSSL's command line
//   when the test was written:
//
//   ```
//   printf '%s' '1735689600:device-42' | openssl dgst -sha1 -hmac 'north-wind-secret' -binary | base64
//   asLa5o2AGpwd5gFNvE6u5vwMJbo=
//   ```
//
// - Base64 table (`TURNRESTCredentialTests.base64`): the test vectors of RFC 4648 §10.
