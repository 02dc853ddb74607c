//! HTTPS for the AWS-like mode: a CA generated at start-up (never stored anywhere but the PEM
//! file handed to clients) and server certificates made on demand for the names clients ask
//! for in SNI.
//!
//! Why on demand: a virtual-hosted name is `BUCKET.s3.REGION.amazonaws.com`, and a certificate
//! cannot wildcard the region label. So for every region zone a client asks for
//! (`s3.REGION.amazonaws.com`), one certificate for the zone and `*.zone` is issued by the CA
//! and cached (at most [`MAX_ZONES`]; names outside `*.amazonaws.com` get the default
//! certificate for `localhost`, `*.localhost`, `127.0.0.1` and the server's own region).
//! Bucket names with dots do not match a wildcard — exactly as on real S3.

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Most region zones one server issues certificates for (hostile SNI cannot grow the cache).
pub const MAX_ZONES: usize = 64;

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot generate a certificate: {0}")]
    Generate(String),
    #[error("cannot set up TLS: {0}")]
    Config(String),
    #[error("cannot write the CA certificate to {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// The generated CA and the acceptor that serves certificates it issued.
pub struct Tls {
    pub acceptor: tokio_rustls::TlsAcceptor,
    /// The CA certificate, PEM: what clients must trust.
    pub ca_pem: String,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls").finish_non_exhaustive()
    }
}

struct Ca {
    cert: rcgen::Certificate,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

/// Issues and caches per-zone certificates.
struct Issuer {
    ca: Ca,
    default: Arc<CertifiedKey>,
    zones: Mutex<HashMap<String, Arc<CertifiedKey>>>,
}

impl std::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer").finish_non_exhaustive()
    }
}

fn gen_err(e: impl std::fmt::Display) -> TlsError {
    TlsError::Generate(e.to_string())
}

fn new_ca() -> Result<Ca, TlsError> {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(gen_err)?;
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "s3cors AWS-like mode test CA");
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let key = rcgen::KeyPair::generate().map_err(gen_err)?;
    let cert = params.self_signed(&key).map_err(gen_err)?;
    let issuer = rcgen::Issuer::new(params, key);
    Ok(Ca { cert, issuer })
}

/// A server certificate for `names` (DNS names or IP addresses) issued by `ca`.
fn issue(ca: &Ca, names: &[String]) -> Result<Arc<CertifiedKey>, TlsError> {
    let mut params = rcgen::CertificateParams::new(names.to_vec()).map_err(gen_err)?;
    params.distinguished_name.push(
        rcgen::DnType::CommonName,
        names.first().cloned().unwrap_or_default(),
    );
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let key = rcgen::KeyPair::generate().map_err(gen_err)?;
    let cert = params.signed_by(&key, &ca.issuer).map_err(gen_err)?;
    let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let signing = rustls::crypto::ring::sign::any_supported_type(&der)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    let chain: Vec<CertificateDer<'static>> = vec![cert.der().clone(), ca.cert.der().clone()];
    Ok(Arc::new(CertifiedKey::new(chain, signing)))
}

/// The region zone an SNI name belongs to (`s3.eu-west-1.amazonaws.com`), if any.
fn zone_of(sni: &str) -> Option<String> {
    super::awslike::region_of_host(sni).map(|(_, domain)| domain)
}

impl ResolvesServerCert for Issuer {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let Some(zone) = hello.server_name().and_then(zone_of) else {
            return Some(self.default.clone());
        };
        let mut zones = self.zones.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(k) = zones.get(&zone) {
            return Some(k.clone());
        }
        if zones.len() >= MAX_ZONES {
            return Some(self.default.clone());
        }
        match issue(&self.ca, &[zone.clone(), format!("*.{zone}")]) {
            Ok(k) => {
                zones.insert(zone, k.clone());
                Some(k)
            }
            Err(_) => Some(self.default.clone()),
        }
    }
}

/// A fresh CA and an acceptor for the server's names (`region`: the server's own region,
/// whose zone is in the default certificate).
pub fn generate(region: &str) -> Result<Tls, TlsError> {
    let ca = new_ca()?;
    let ca_pem = ca.cert.pem();
    let zone = format!("s3.{region}.amazonaws.com");
    let default = issue(
        &ca,
        &[
            "localhost".to_string(),
            "*.localhost".to_string(),
            "*.s3.localhost".to_string(),
            "127.0.0.1".to_string(),
            "::1".to_string(),
            zone.clone(),
            format!("*.{zone}"),
            "s3.amazonaws.com".to_string(),
            "*.s3.amazonaws.com".to_string(),
        ],
    )?;
    let issuer = Issuer {
        ca,
        default,
        zones: Mutex::new(HashMap::new()),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(issuer));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Tls {
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
        ca_pem,
    })
}

/// Writes the CA certificate where clients will look for it.
pub fn write_ca(path: &std::path::Path, pem: &str) -> Result<(), TlsError> {
    std::fs::write(path, pem).map_err(|source| TlsError::Write {
        path: path.display().to_string(),
        source,
    })
}
