package vision

import "github.com/clavis-dev/clavis/internal/inference/manifest"

// cocoLabels are the 80 COCO object classes in NanoDet's output order.
var cocoLabels = manifest.GeneralImageRecognition.Concepts

// nsfwClasses are the nsfwjs model's five classes in output order: the
// concepts of nsfw-recognition after sfw and nsfw.
var nsfwClasses = manifest.NSFWRecognition.Concepts[2:]
