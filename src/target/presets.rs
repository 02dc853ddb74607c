//! Named container presets: what it takes to start each S3 server users commonly run as a
//! container, so that `--target moto` is all a user types.
//!
//! A preset knows its upstream image and tag, the S3 port inside the container, the
//! credentials the server accepts, how to tell it is ready, and how to ask it for its
//! version. Every field can be overridden per target (`moto,image=local/moto:5.2.5`, see
//! [`crate::target::select`]) and the image also by `S3CORS_<PRESET>_IMAGE`. The target's
//! name is the preset's name, so `expectations/<preset>.yaml` applies by itself.
//!
//! Decisions (also in `docs/targets.md`):
//! - Defaults are the **upstream** images users pull (`motoserver/moto:5.2.5`, …), pinned to
//!   the version our published reports measured, not `latest`: a preset must mean the same
//!   server next month. s3rver publishes no image, so its default is the local image
//!   `scripts/images/build.sh` builds.
//! - Versions are those of the endpoint runs in `reports/` so that a container run and an
//!   endpoint run of the same preset are comparable case for case.

use super::container::{ContainerSpec, Readiness, SetUp, VersionProbe};

/// A known server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    Minio,
    MinioGlobal,
    Localstack,
    Moto,
    S3rver,
    Garage,
}

impl Preset {
    /// Every preset, in the order `--help` and the docs list them.
    pub const ALL: [Preset; 6] = [
        Preset::Minio,
        Preset::MinioGlobal,
        Preset::Localstack,
        Preset::Moto,
        Preset::S3rver,
        Preset::Garage,
    ];

    /// The `--target` keyword, which is also the target's name.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Minio => "minio",
            Preset::MinioGlobal => "minio-global",
            Preset::Localstack => "localstack",
            Preset::Moto => "moto",
            Preset::S3rver => "s3rver",
            Preset::Garage => "garage",
        }
    }

    pub fn from_name(s: &str) -> Option<Preset> {
        match s {
            "minio:global" => Some(Preset::MinioGlobal),
            _ => Preset::ALL.into_iter().find(|p| p.name() == s),
        }
    }

    /// The variable that overrides the image (`S3CORS_MOTO_IMAGE=local/moto:5.2.5`).
    /// Both MinIO modes share `S3CORS_MINIO_IMAGE`.
    pub fn image_env(self) -> &'static str {
        match self {
            Preset::Minio | Preset::MinioGlobal => "S3CORS_MINIO_IMAGE",
            Preset::Localstack => "S3CORS_LOCALSTACK_IMAGE",
            Preset::Moto => "S3CORS_MOTO_IMAGE",
            Preset::S3rver => "S3CORS_S3RVER_IMAGE",
            Preset::Garage => "S3CORS_GARAGE_IMAGE",
        }
    }

    /// Upstream image and tag.
    pub fn default_image(self) -> (&'static str, &'static str) {
        match self {
            // Docker Hub's minio/minio is gone; quay.io still serves released tags.
            Preset::Minio | Preset::MinioGlobal => {
                ("quay.io/minio/minio", "RELEASE.2025-09-07T16-13-09Z")
            }
            Preset::Localstack => ("localstack/localstack", "4.10"),
            Preset::Moto => ("motoserver/moto", "5.2.5"),
            // No upstream image: the one scripts/images/build.sh makes.
            Preset::S3rver => ("local/s3rver", "3.7.1"),
            Preset::Garage => ("dxflrs/garage", "v2.1.0"),
        }
    }

    /// The container specification with this preset's defaults; `name` is the target name.
    pub fn spec(self, name: &str) -> ContainerSpec {
        let (image, tag) = self.default_image();
        let mut s = ContainerSpec::new(name, self.name(), image, tag, 9000);
        match self {
            Preset::Minio | Preset::MinioGlobal => {
                // Credentials are ours to choose: MinIO takes them from its environment.
                s.access_key = "s3cors".into();
                s.secret_key = random_secret();
                s.env = vec![
                    ("MINIO_ROOT_USER".into(), s.access_key.clone()),
                    ("MINIO_ROOT_PASSWORD".into(), s.secret_key.clone()),
                ];
                s.cmd = Some(vec!["server".into(), "/data".into()]);
                s.readiness = Readiness::Http {
                    path: "/minio/health/live".into(),
                    status: Some(200),
                };
                s.version = VersionProbe::Exec(vec!["minio".into(), "--version".into()]);
            }
            Preset::Localstack => {
                s.port = 4566;
                s.access_key = "test".into();
                s.secret_key = "test".into();
                s.env = vec![("SERVICES".into(), "s3".into())];
                s.readiness = Readiness::Http {
                    path: "/_localstack/health".into(),
                    status: Some(200),
                };
                s.version = VersionProbe::HttpJson {
                    path: "/_localstack/health".into(),
                    field: "version".into(),
                };
            }
            Preset::Moto => {
                s.port = 5000;
                // moto accepts any credentials.
                s.access_key = "test".into();
                s.secret_key = "test".into();
                // As scripts/peers/moto/start.sh: no blanket flask-cors layer on top of S3's.
                s.env = vec![("MOTO_DISABLE_GLOBAL_CORS".into(), "true".into())];
                s.readiness = Readiness::Http {
                    path: "/".into(),
                    status: Some(200),
                };
                s.version = VersionProbe::Exec(vec![
                    "python3".into(),
                    "-c".into(),
                    "import moto; print(moto.__version__)".into(),
                ]);
            }
            Preset::S3rver => {
                s.port = 4568;
                // s3rver's fixed credentials.
                s.access_key = "S3RVER".into();
                s.secret_key = "S3RVER".into();
                s.readiness = Readiness::Http {
                    path: "/".into(),
                    status: None,
                };
                s.version = VersionProbe::Exec(vec!["s3rver".into(), "--version".into()]);
            }
            Preset::Garage => {
                s.port = 3900;
                s.access_key = GARAGE_KEY_ID.into();
                s.secret_key = GARAGE_SECRET.into();
                s.region = "garage".into();
                s.env = vec![("GARAGE_CONFIG_FILE".into(), "/etc/garage.toml".into())];
                s.files = vec![("/etc/garage.toml".into(), GARAGE_TOML.as_bytes().to_vec())];
                s.readiness = Readiness::Log("S3 API server listening".into());
                // A single-node cluster needs a layout and a key before S3 answers.
                s.set_up = SetUp::GarageSingleNode {
                    key_id: GARAGE_KEY_ID.into(),
                    secret: GARAGE_SECRET.into(),
                };
                s.version = VersionProbe::Exec(vec!["/garage".into(), "--version".into()]);
            }
        }
        s
    }
}

/// Garage's access key for the preset (Garage's `GK` + 24 hex digits shape). A throwaway
/// credential for a container that lives as long as one run.
const GARAGE_KEY_ID: &str = "GK5c3c0a5e0000000000000001";
const GARAGE_SECRET: &str = "5c3c0a5e5c3c0a5e5c3c0a5e5c3c0a5e5c3c0a5e5c3c0a5e5c3c0a5e5c3c0a5e";
/// A single-node Garage in memory-light settings, S3 on 3900 with region `garage`.
const GARAGE_TOML: &str = r#"metadata_dir = "/var/lib/garage/meta"
data_dir = "/var/lib/garage/data"
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "[::]:3901"
rpc_public_addr = "127.0.0.1:3901"
rpc_secret = "5c3c0a5e5c3c0a5e5c3c0a5e5c3c0a5e5c3c0a5e5c3c0a5e5c3c0a5e5c3c0a5e"

[s3_api]
s3_region = "garage"
api_bind_addr = "[::]:3900"
root_domain = ".s3.garage.localhost"
"#;

fn random_secret() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::rng();
    (0..32)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_every_preset_has_its_own_port_and_version_probe() {
        for p in Preset::ALL {
            assert_eq!(Preset::from_name(p.name()), Some(p));
            let s = p.spec(p.name());
            assert_eq!(s.kind, p.name());
            assert_ne!(s.version, VersionProbe::None, "{p:?}");
            assert_ne!(s.readiness, Readiness::None, "{p:?}");
            assert!(!s.access_key.is_empty() && !s.secret_key.is_empty());
            assert!(p.image_env().starts_with("S3CORS_") && p.image_env().ends_with("_IMAGE"));
        }
        assert_eq!(Preset::from_name("minio:global"), Some(Preset::MinioGlobal));
        assert_eq!(Preset::from_name("mino"), None);
        assert_eq!(Preset::Moto.spec("moto").port, 5000);
        assert_eq!(Preset::S3rver.spec("s3rver").port, 4568);
    }

    #[test]
    fn minio_gets_a_fresh_secret_and_passes_it_to_the_container() {
        let a = Preset::Minio.spec("minio");
        let b = Preset::Minio.spec("minio");
        assert_ne!(a.secret_key, b.secret_key);
        assert!(
            a.env
                .iter()
                .any(|(k, v)| k == "MINIO_ROOT_PASSWORD" && *v == a.secret_key)
        );
    }
}
