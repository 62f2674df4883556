"""``tf1-course predict IMAGE [IMAGE ...]``: the trained SIGNS model on your own photos.

Each image is prepared by :func:`tf1_course.data.images.load_image`, the function that built the
training set (EXIF orientation, RGB, square, 64x64, then scaled to [0, 1]), and fed to the graph
restored from the run's checkpoint. A photo unlike SIGNS (a thumbs-up) still gets one of the six
classes, so a low top probability is called out. A bad file is one line on stderr; the other
images are still predicted and the exit code is 2.
"""

import json
import sys

from tf1_course.core.command import Parser, positive_int, probability, run_main
from tf1_course.core.device import DEVICES
from tf1_course.data.images import MAX_PIXELS, RESIZE_MODES
from tf1_course.signs.inference import CLASS_NAMES, open_model, predict_images
from tf1_course.signs.rundir import CHECKPOINT_KINDS, DEFAULT_RUN_DIR

LOW_CONFIDENCE = 0.5
OUT_OF_CLASS_NOTE = ("note: the model knows only the six SIGNS hand signs (0 to 5 fingers); any photo "
                     "gets one of them, even with a high probability (the course's thumbs-up gets 3)")


def format_prediction(p, threshold=LOW_CONFIDENCE):
    top = p.probabilities[p.label]
    lines = [f"{p.image}: sign {p.label} ({CLASS_NAMES[p.label]}), probability {top:.3f}",
             "  " + "  ".join(f"{k}: {q:.3f}" for k, q in enumerate(p.probabilities))]
    if top < threshold:
        lines.append(f"  low confidence (top probability {top:.2f} < {threshold:.2f}): the photo may "
                     f"not show one of the six SIGNS hand signs (0 to 5 fingers, palm to the camera)")
    return "\n".join(lines)


def build_parser():
    p = Parser(prog="tf1-course predict", description=__doc__.split("\n\n")[0])
    p.add_argument("images", nargs="*", metavar="IMAGE",
                   help="photo(s): JPEG, PNG, BMP, GIF, WebP, any size (default: the phone photo bundled "
                        "with the package, a thumbs-up)")
    p.add_argument("--run-dir", default=DEFAULT_RUN_DIR, help=f"trained run (default {DEFAULT_RUN_DIR})")
    p.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    p.add_argument("--resize", choices=RESIZE_MODES, default="crop",
                   help="make a non-square photo square by centre-crop (default), stretch or pad")
    p.add_argument("--save-preprocessed", metavar="DIR", help="write the 64x64 image the model saw as PNG")
    p.add_argument("--min-confidence", type=probability, default=LOW_CONFIDENCE,
                   help=f"flag a top probability below this (default {LOW_CONFIDENCE})")
    p.add_argument("--max-pixels", type=positive_int, default=MAX_PIXELS, help=f"refuse larger images (default {MAX_PIXELS:,})")
    p.add_argument("--device", choices=DEVICES, default="auto", help="where to run (default auto)")
    p.add_argument("--checkpoint", choices=CHECKPOINT_KINDS,
                   help="best (highest dev accuracy, runs trained with --dev) or last (default: best if there is one)")
    return p


def run(args):
    errors = []

    def on_error(message):
        errors.append(message)
        print(f"tf1-course predict: error: {message}", file=sys.stderr)

    log = (lambda msg: print(msg, file=sys.stderr)) if args.json else print
    if not args.images:
        from tf1_course.data import bundle

        args.images = [str(bundle.photo())]
        log(f"no IMAGE given: predicting the photo bundled with the package ({args.images[0]})")
    with open_model(args.run_dir, args.device, log=log, checkpoint=args.checkpoint) as model:
        preds = predict_images(model, args.images, args.resize, args.max_pixels,
                               args.save_preprocessed, on_error)
    if args.json:
        out = [{"image": p.image, "prediction": p.label, "probabilities": p.probabilities,
                "low_confidence": p.probabilities[p.label] < args.min_confidence} for p in preds]
        print(json.dumps({"predictions": out, "errors": errors}, indent=2))
    else:
        for p in preds:
            print(format_prediction(p, args.min_confidence))
        if preds:
            print(OUT_OF_CLASS_NOTE)
    return 2 if errors else 0


def main(argv=None):
    return run_main(build_parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())
