// Package clavis holds the domain of Clavis: users, apps, keys, models and
// predictions, the store interfaces every engine implements, and the closed set
// of error codes every transport maps once. It imports the standard library only.
package clavis
