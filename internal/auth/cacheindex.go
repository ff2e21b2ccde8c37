package auth

import "github.com/clavis-dev/clavis/clavis"

// cacheIndex finds the cached entries of a key and of a user by digest,
// so that InvalidateKeys and InvalidateUser, which every DeleteKey and
// user change calls under the mutex each token check takes, touch only
// those entries instead of scanning the whole cache. Guarded by the
// Authenticator's mu.
type cacheIndex struct {
	byKey  map[string]string              // key id → digest of its entry
	byUser map[string]map[string]struct{} // user id → digests of its entries
}

func (x *cacheIndex) add(digest string, p *clavis.Principal) {
	if x.byKey == nil {
		x.byKey, x.byUser = map[string]string{}, map[string]map[string]struct{}{}
	}
	x.byKey[p.KeyID] = digest
	set := x.byUser[p.UserID]
	if set == nil {
		set = map[string]struct{}{}
		x.byUser[p.UserID] = set
	}
	set[digest] = struct{}{}
}

func (x *cacheIndex) remove(digest string, p *clavis.Principal) {
	if x.byKey[p.KeyID] == digest {
		delete(x.byKey, p.KeyID)
	}
	if set := x.byUser[p.UserID]; set != nil {
		delete(set, digest)
		if len(set) == 0 {
			delete(x.byUser, p.UserID)
		}
	}
}

// put caches e under digest, replacing an entry there. Call with mu held.
func (a *Authenticator) put(digest string, e *entry) {
	a.drop(digest)
	a.entries[digest] = e
	a.idx.add(digest, &e.p)
}

// drop removes the entry under digest, if any. Call with mu held.
func (a *Authenticator) drop(digest string) {
	if e, ok := a.entries[digest]; ok {
		a.idx.remove(digest, &e.p)
		delete(a.entries, digest)
	}
}

// invalidateDigests drops the entries whose digests pick returns, which
// runs with mu held; like every invalidation it empties the cache of
// unknown tokens.
func (a *Authenticator) invalidateDigests(pick func() []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.gen++
	clear(a.unknown)
	for _, d := range pick() {
		a.drop(d)
	}
}

// indexLen returns the sizes of the index, for tests.
func (a *Authenticator) indexLen() (keys, users int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.idx.byKey), len(a.idx.byUser)
}
