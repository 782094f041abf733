package interop

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand"
)

// View is how a photo frames the product, like a buyer's front, detail and scene shots.
type View int

const (
	Front View = iota
	Detail
	Scene
)

// photoSide is the rendered size: large enough for any size floor, small enough to be quick.
const photoSide = 900

// product is one procedurally drawn item; the seed decides everything, so
// different seeds give photos far apart in perceptual hash (no cache reuse).
type product struct {
	shape          int // 0 mug, 1 bottle, 2 box, 3 bag
	width, height  float64
	centerX        float64
	body, stripe   color.RGBA
	stripes, angle float64
}

func newProduct(seed int64) product {
	rng := rand.New(rand.NewSource(seed))
	hue := rng.Float64()
	return product{
		shape:   rng.Intn(4),
		width:   0.30 + 0.25*rng.Float64(),
		height:  0.40 + 0.25*rng.Float64(),
		centerX: 0.40 + 0.20*rng.Float64(),
		body:    hsv(hue, 0.55+0.4*rng.Float64(), 0.55+0.4*rng.Float64()),
		stripe:  hsv(hue+0.5, 0.3+0.5*rng.Float64(), 0.9),
		stripes: float64(3 + rng.Intn(9)),
		angle:   rng.Float64() * math.Pi,
	}
}

// ProductPhoto renders the product of `seed` as a JPEG seen from `view`.
func ProductPhoto(seed int64, view View) []byte {
	p := newProduct(seed)
	zoom, shiftY := 1.0, 0.0
	switch view {
	case Detail:
		zoom = 1.5
	case Scene:
		zoom, shiftY = 0.8, 0.08
	}
	img := image.NewRGBA(image.Rect(0, 0, photoSide, photoSide))
	for py := 0; py < photoSide; py++ {
		for px := 0; px < photoSide; px++ {
			// Frame coordinates → product coordinates (0..1, product centred at centerX, 0.5).
			x := (float64(px)/photoSide-0.5)/zoom + p.centerX
			y := (float64(py)/photoSide-0.5-shiftY)/zoom + 0.5
			img.SetRGBA(px, py, p.colorAt(x, y, view == Scene && float64(py)/photoSide > 0.7))
		}
	}
	var out bytes.Buffer
	if err := jpeg.Encode(&out, img, &jpeg.Options{Quality: 88}); err != nil {
		panic(err) // encoding into memory cannot fail for an RGBA image
	}
	return out.Bytes()
}

func (p product) colorAt(x, y float64, table bool) color.RGBA {
	dx, dy := (x-p.centerX)/p.width*2, (y-0.5)/p.height*2 // -1..1 inside the bounding box
	if p.inside(dx, dy) {
		along := x*math.Cos(p.angle) + y*math.Sin(p.angle)
		if math.Mod(along*p.stripes*2+10, 2) < 0.6 {
			return p.stripe
		}
		shade := 1 - 0.25*math.Abs(dx) // a little roundness
		return color.RGBA{uint8(float64(p.body.R) * shade), uint8(float64(p.body.G) * shade),
			uint8(float64(p.body.B) * shade), 255}
	}
	// A soft shadow under the product on a white sweep, or a wooden table in a scene.
	shadow := math.Hypot(dx/1.2, (dy-1.05)*4)
	base := color.RGBA{250, 250, 250, 255}
	if table {
		base = color.RGBA{150, 110, 70, 255}
	}
	if shadow < 1 {
		k := 0.75 + 0.25*shadow
		return color.RGBA{uint8(float64(base.R) * k), uint8(float64(base.G) * k), uint8(float64(base.B) * k), 255}
	}
	return base
}

func (p product) inside(dx, dy float64) bool {
	switch p.shape {
	case 0: // mug: a body and a ring-shaped handle on the right
		ring := math.Hypot((dx-1.05)/0.35, dy/0.45)
		return (math.Abs(dx) <= 0.8 && math.Abs(dy) <= 1) || (ring >= 0.7 && ring <= 1)
	case 1: // bottle: a narrow neck on a round-shouldered body
		if dy < -0.4 {
			return math.Abs(dx) <= 0.25
		}
		return math.Hypot(dx, math.Max(0, -dy-0.1)*2) <= 0.9 && dy <= 1
	case 2: // box: a front face and a lighter top face
		return math.Abs(dx) <= 0.9 && dy >= -0.7 && dy <= 1 || (dy >= -1 && dy < -0.7 && math.Abs(dx+(dy+0.7)) <= 0.9)
	default: // bag: a trapezoid with a handle arc
		arc := math.Hypot(dx/0.5, (dy+0.5)/0.5)
		width := 0.7 + 0.3*(dy+0.5)/1.5
		return (dy >= -0.5 && dy <= 1 && math.Abs(dx) <= width) || (dy < -0.5 && arc >= 0.8 && arc <= 1)
	}
}

func hsv(h, s, v float64) color.RGBA {
	h = math.Mod(h, 1) * 6
	i, f := math.Floor(h), h-math.Floor(h)
	p, q, t := v*(1-s), v*(1-s*f), v*(1-s*(1-f))
	r, g, b := [6]float64{v, q, p, p, t, v}[int(i)], [6]float64{t, v, v, q, p, p}[int(i)], [6]float64{p, p, t, v, v, q}[int(i)]
	return color.RGBA{uint8(r * 255), uint8(g * 255), uint8(b * 255), 255}
}
