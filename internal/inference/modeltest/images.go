package modeltest

import (
	"image"
	_ "image/gif"  // test images may be GIF
	_ "image/jpeg" // or JPEG
	_ "image/png"  // or PNG
	"os"
	"path/filepath"
	"testing"
)

// EnvImagesDir names the directory of shared test images; by default it is
// ../shared/testdata/images beside the module root.
const EnvImagesDir = "CLAVIS_TEST_IMAGES"

// ImagesDir returns the directory of shared test images (scenetext01.jpg,
// imageTextN.png, …): $CLAVIS_TEST_IMAGES, or ../shared/testdata/images
// beside the directory holding go.mod. When it does not exist the test is
// skipped, or failed if CLAVIS_REQUIRE_MODELS=1.
func ImagesDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(EnvImagesDir)
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				dir = filepath.Join(filepath.Dir(d), "shared", "testdata", "images")
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if fi, err := os.Stat(dir); dir == "" || err != nil || !fi.IsDir() {
		unavailable(t, "test images not found at "+dir+"; set "+EnvImagesDir)
		return ""
	}
	return dir
}

// Image decodes the named image of ImagesDir, failing the test if it cannot.
func Image(t testing.TB, name string) image.Image {
	t.Helper()
	return ImageFile(t, filepath.Join(ImagesDir(t), name))
}

// ImageFile decodes the image at path, failing the test if it cannot.
func ImageFile(t testing.TB, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatalf("decoding %s: %v", path, err)
	}
	return img
}
