//! Where canaries are kept: one sealed document per export (its canaries and their contact points) and one
//! sealed *claim* per contact point, so the registry grows by one small write per approval however many
//! exports exist, and a contact point goes to at most one canary even when approvals run concurrently.
//!
//! - **Claims** are documents named by a keyed hash of the contact point's canonical form (the id reveals
//!   nothing without the vault's key), created only if absent: the store's compare-and-swap makes two
//!   approvals that drew the same point collide, and the second draws again without it.
//! - **The registry** ([`Vault::canary_registry`]) is the union of the export documents. A process keeps it
//!   in memory and reads only the documents it has not seen, so a trace, a canary hit or an approval costs a
//!   listing of ids, not a reload of 10,000 exports. The parsed canary pools are cached the same way, keyed
//!   by their sealed bytes.
//! - A claim whose approval was interrupted before its export document was written keeps its contact point
//!   out of use forever: a pool entry is lost, never shared.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use hmac::Mac;
use serde::{Deserialize, Serialize};

use super::exports::ExportError;
use super::Vault;
use crate::canary::{Canary, CanaryId, Contact, ExportId, Pools, Registry};
use crate::store;

const EXPORT_KIND: &str = "canary-export";
const CLAIM_KIND: &str = "canary-claim";

/// The per-process copy of the registry and pools.
#[derive(Default)]
pub(crate) struct Cache {
    loaded: BTreeSet<String>,
    registry: Arc<Registry>,
    pools: Option<(Vec<u8>, Arc<Pools>)>,
}

#[derive(Serialize, Deserialize)]
struct Stored {
    export: ExportId,
    canaries: Vec<(CanaryId, Vec<Contact>)>,
}

#[derive(Serialize, Deserialize)]
struct ClaimDoc {
    export: ExportId,
}

/// Why canaries could not be registered.
pub(crate) enum Claim {
    /// Another export holds this contact point (canonical form): draw again without it.
    Taken(String),
    /// Anything else.
    Failed(ExportError),
}

impl From<ExportError> for Claim {
    fn from(e: ExportError) -> Claim {
        Claim::Failed(e)
    }
}

impl From<store::Error> for Claim {
    fn from(e: store::Error) -> Claim {
        Claim::Failed(e.into())
    }
}

impl Vault {
    /// The claim document's name for a contact point: keyed, so the database does not list contact points.
    fn claim_id(&self, canonical: &str) -> Result<String, ExportError> {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(self.auth_key()?.expose())
            .map_err(|_| ExportError::Invalid("key length".to_owned()))?;
        mac.update(b"kura/canary-claim/v1\0");
        mac.update(canonical.as_bytes());
        Ok(hex::encode(mac.finalize().into_bytes()))
    }

    /// The canary registry: every canary of every export (and honey batch), by contact point.
    pub fn canary_registry(&self) -> Result<Arc<Registry>, ExportError> {
        let ids = self.store.document_ids(EXPORT_KIND)?;
        let mut cache = self.canaries.lock().map_err(|_| ExportError::State("canary cache poisoned".to_owned()))?;
        for id in ids {
            if cache.loaded.contains(&id) {
                continue;
            }
            let Some((plain, _)) = self.open_document(EXPORT_KIND, &id)? else { continue };
            let stored: Stored = serde_json::from_slice(&plain)
                .map_err(|_| ExportError::State(format!("canary document `{id}` is damaged")))?;
            if stored.export.as_str() != id {
                return Err(ExportError::State(format!("canary document `{id}` is damaged")));
            }
            let canaries: Vec<Canary> =
                stored.canaries.into_iter().map(|(id, contacts)| Canary { id, row: Vec::new(), contacts }).collect();
            Arc::make_mut(&mut cache.registry)
                .register(&stored.export, &canaries)
                .map_err(|e| ExportError::State(format!("the canary registry is inconsistent: {e}")))?;
            cache.loaded.insert(id);
        }
        Ok(Arc::clone(&cache.registry))
    }

    /// Claims every contact point of `canaries` for `export`, then records the export's canaries.
    pub(crate) fn register_canaries(&self, export: &ExportId, canaries: &[Canary]) -> Result<(), Claim> {
        for contact in canaries.iter().flat_map(|k| k.contacts.iter()) {
            let id = self.claim_id(&contact.canonical)?;
            let doc = serde_json::to_vec(&ClaimDoc { export: export.clone() })
                .map_err(|e| ExportError::Invalid(e.to_string()))?;
            let sealed = self.seal_document(CLAIM_KIND, &id, &doc)?;
            match self.store.put_document(CLAIM_KIND, &id, &sealed, None) {
                Ok(()) => {}
                Err(store::Error::Conflict) => {
                    // Ours from an earlier attempt of this approval, or another export's.
                    let ours = match self.open_document(CLAIM_KIND, &id) {
                        Ok(Some((b, _))) => serde_json::from_slice::<ClaimDoc>(&b).is_ok_and(|c| &c.export == export),
                        _ => false,
                    };
                    if !ours {
                        return Err(Claim::Taken(contact.canonical.clone()));
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        let stored = Stored {
            export: export.clone(),
            canaries: canaries.iter().map(|k| (k.id.clone(), k.contacts.clone())).collect(),
        };
        let json = serde_json::to_vec(&stored).map_err(|e| ExportError::Invalid(e.to_string()))?;
        let sealed = self.seal_document(EXPORT_KIND, export.as_str(), &json)?;
        match self.store.put_document(EXPORT_KIND, export.as_str(), &sealed, None) {
            Ok(()) => Ok(()),
            Err(store::Error::Conflict) => {
                Err(Claim::Failed(ExportError::State(format!("export `{export}` already has registered canaries"))))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Makes canaries for `req` from the pools and registers them, drawing again (up to eight times) when a
    /// concurrent approval claimed a drawn contact point first.
    pub(crate) fn make_and_register(
        &self,
        pools: &Pools,
        req: &crate::canary::Request<'_>,
    ) -> Result<Vec<Canary>, ExportError> {
        let mut taken: Vec<String> = Vec::new();
        for _ in 0..8 {
            let mut registry = self.canary_registry()?;
            if !taken.is_empty() {
                let own = Arc::make_mut(&mut registry);
                for t in &taken {
                    own.reserve(t);
                }
            }
            let canaries =
                crate::canary::make(pools, &registry, req).map_err(|err| ExportError::State(err.to_string()))?;
            match self.register_canaries(req.export, &canaries) {
                Ok(()) => return Ok(canaries),
                Err(Claim::Taken(c)) => taken.push(c),
                Err(Claim::Failed(e)) => return Err(e),
            }
        }
        Err(ExportError::State("too many concurrent approvals took the drawn contact points; try again".to_owned()))
    }

    /// The organisation's canary pools, parsed once per version.
    pub(crate) fn cached_pools(
        &self,
        sealed: &[u8],
        parse: impl FnOnce() -> Result<Pools, ExportError>,
    ) -> Result<Arc<Pools>, ExportError> {
        if let Ok(cache) = self.canaries.lock() {
            if let Some((s, p)) = &cache.pools {
                if s.as_slice() == sealed {
                    return Ok(Arc::clone(p));
                }
            }
        }
        let pools = Arc::new(parse()?);
        if let Ok(mut cache) = self.canaries.lock() {
            cache.pools = Some((sealed.to_vec(), Arc::clone(&pools)));
        }
        Ok(pools)
    }
}

/// The lock type of the cache (for the vault's field).
pub(crate) type Shared = Mutex<Cache>;
