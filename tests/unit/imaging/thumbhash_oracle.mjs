// Reference ThumbHash encoder for tests/unit/test_thumbhash.py.
// stdin: one JSON object per line, {"w": int, "h": int, "rgba_b64": base64 of w*h*4 bytes}.
// stdout: one line per input, the base64 of rgbaToThumbHash(w, h, rgba) from npm thumbhash,
// or "ERROR <message>" if the reference throws.
// With the argument "cos", instead prints one line per stdin line {"args": [numbers]}: the
// hex bits of Math.cos of each (to check the Python port of V8's cos).
// With the argument "decode", instead reads {"hash_b64": base64 of a ThumbHash} per line and
// prints "<w> <h> <base64 of thumbHashToRGBA's rgba>".
import { readFileSync } from 'node:fs'
import { rgbaToThumbHash, thumbHashToRGBA } from '../../../node_modules/thumbhash/thumbhash.js'

const lines = readFileSync(0, 'utf8').split('\n').filter((line) => line.trim() !== '')
const out = []
for (const line of lines) {
  const item = JSON.parse(line)
  if (process.argv[2] === 'cos') {
    const bits = new Float64Array(item.args.map((x) => Math.cos(x)))
    out.push(Buffer.from(bits.buffer).toString('hex'))
    continue
  }
  if (process.argv[2] === 'decode') {
    const { w, h, rgba } = thumbHashToRGBA(new Uint8Array(Buffer.from(item.hash_b64, 'base64')))
    out.push(`${w} ${h} ${Buffer.from(rgba).toString('base64')}`)
    continue
  }
  const rgba = new Uint8Array(Buffer.from(item.rgba_b64, 'base64'))
  try {
    out.push(Buffer.from(rgbaToThumbHash(item.w, item.h, rgba)).toString('base64'))
  } catch (err) {
    out.push(`ERROR ${err.message}`)
  }
}
process.stdout.write(out.join('\n') + '\n')
