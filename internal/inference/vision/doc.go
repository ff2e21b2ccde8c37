// Package vision holds the runners of the converted TF.js vision models: NanoDet object recognition and detection, BlazeFace faces, and nsfwjs's NSFW classifier.
package vision
