// DEMO-ONLY TLS key pair — PUBLIC, protects nothing. The same text as cert.pem / key.pem in this
// folder (see README.md), embedded so compiled code needs no asset next to it. Used only by the
// demo's simulated API server backend on loopback.

export const DEMO_TLS_CERT = `-----BEGIN CERTIFICATE-----
MIIBvjCCAWWgAwIBAgIUHAOKNNmq+qZlaFIzt5PNgTBgcZIwCgYIKoZIzj0EAwIw
JjEkMCIGA1UEAwwbc2VydmljZS1wcm94eS1leHBvcnRlci10ZXN0MCAXDTI2MTEy
NDAzMzgyOVoYDzIxMjYxMDMxMDMzODI5WjAmMSQwIgYDVQQDDBtzZXJ2aWNlLXBy
b3h5LWV4cG9ydGVyLXRlc3QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARcjhUV
Vfk2LTzSFOmxAFnPXz225vG/qcf2pG7SHLXcaKl28UJ7tHKeW+YhezAwTuYJgRTU
5BN71j2uXQkhLwDto28wbTAdBgNVHQ4EFgQU86UnUJmc0+XrAQrtJtrkO3rnrkww
HwYDVR0jBBgwFoAU86UnUJmc0+XrAQrtJtrkO3rnrkwwDwYDVR0TAQH/BAUwAwEB
/zAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3QwCgYIKoZIzj0EAwIDRwAwRAIg
XZdk8dExNPQ9pnWix8oCHyY+yH+xgROeXiYNKh8Z8BgCIHZbfpHuUMawoN2eBsIR
8KExck36ps0dxCFRy+o14EyX
-----END CERTIFICATE-----
`;

export const DEMO_TLS_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgZOF/OUrAstIoqXNS
LfsquwbJ+mg/9qvRozJXsEjrGXyhRANCAARcjhUVVfk2LTzSFOmxAFnPXz225vG/
qcf2pG7SHLXcaKl28UJ7tHKeW+YhezAwTuYJgRTU5BN71j2uXQkhLwDt
-----END PRIVATE KEY-----
`;
