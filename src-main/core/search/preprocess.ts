// An image as the encoder sees it at inference: oriented, short side scaled to the training
// cache's side and centre-cropped to the training resolution (the view the kNN monitor uses),
// then ImageNet-normalised, NHWC float32.
import { cacheSideFor, decodeSquare } from '../moco/data/decode';
import { IMAGENET_MEAN, IMAGENET_STD } from '../moco/data/augment';

/** R x R x 3 normalised pixels of an image file (path or bytes), written into `out` at `offset`. */
export async function decodeForEncoder(input: string | Buffer, R: number, out: Float32Array, offset: number): Promise<void> {
  const S = cacheSideFor(R);
  const px = await decodeSquare(input, S);
  const off = Math.floor((S - R) / 2);
  let o = offset;
  for (let y = 0; y < R; y++) {
    let p = ((y + off) * S + off) * 3;
    for (let x = 0; x < R; x++, p += 3, o += 3) {
      out[o] = (px[p] / 255 - IMAGENET_MEAN[0]) / IMAGENET_STD[0];
      out[o + 1] = (px[p + 1] / 255 - IMAGENET_MEAN[1]) / IMAGENET_STD[1];
      out[o + 2] = (px[p + 2] / 255 - IMAGENET_MEAN[2]) / IMAGENET_STD[2];
    }
  }
}
