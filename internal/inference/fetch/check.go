package fetch

// CheckURL applies to rawURL the rules of Fetch that need no lookup: its
// length, scheme, credentials, host spelling and port. It returns the
// EInputURL error Fetch would, or nil; a URL it accepts may still be
// refused once its host is resolved.
func (f *Fetcher) CheckURL(rawURL string) error {
	_, err := f.parseURL(rawURL)
	return err
}
