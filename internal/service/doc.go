// Package service holds the use cases of Clavis: creating users with their
// default PAT, managing apps and keys within the caller's rights, and
// predicting. Transports call it; it reaches stores only through the
// interfaces of package clavis.
package service
