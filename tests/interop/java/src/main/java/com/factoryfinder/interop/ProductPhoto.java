package com.factoryfinder.interop;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * Procedurally drawn product photos (a mug, bottle, box or bag on a white sweep, with stripes).
 * The seed decides everything, so different seeds give photos far apart in perceptual hash: no
 * cache hit and no near-duplicate reuse between them.
 */
public final class ProductPhoto {
  /** How a photo frames the product, like a buyer's front, detail and scene shots. */
  public enum View { FRONT, DETAIL, SCENE }

  public static final int SIDE = 900;

  private final int shape;
  private final double width;
  private final double height;
  private final double centerX;
  private final Color body;
  private final Color stripe;
  private final double stripes;
  private final double angle;

  private ProductPhoto(long seed) {
    Random rng = new Random(seed);
    float hue = rng.nextFloat();
    shape = rng.nextInt(4);
    width = 0.30 + 0.25 * rng.nextDouble();
    height = 0.40 + 0.25 * rng.nextDouble();
    centerX = 0.40 + 0.20 * rng.nextDouble();
    body = Color.getHSBColor(hue, 0.55f + 0.4f * rng.nextFloat(), 0.55f + 0.4f * rng.nextFloat());
    stripe = Color.getHSBColor(hue + 0.5f, 0.3f + 0.5f * rng.nextFloat(), 0.9f);
    stripes = 3 + rng.nextInt(9);
    angle = rng.nextDouble() * Math.PI;
  }

  /** The product of {@code seed} as a JPEG seen from {@code view}. */
  public static byte[] jpeg(long seed, View view) {
    ProductPhoto p = new ProductPhoto(seed);
    double zoom = view == View.DETAIL ? 1.5 : view == View.SCENE ? 0.8 : 1.0;
    double shiftY = view == View.SCENE ? 0.08 : 0.0;
    BufferedImage img = new BufferedImage(SIDE, SIDE, BufferedImage.TYPE_INT_RGB);
    for (int py = 0; py < SIDE; py++) {
      for (int px = 0; px < SIDE; px++) {
        double x = ((double) px / SIDE - 0.5) / zoom + p.centerX;
        double y = ((double) py / SIDE - 0.5 - shiftY) / zoom + 0.5;
        boolean table = view == View.SCENE && (double) py / SIDE > 0.7;
        img.setRGB(px, py, p.colorAt(x, y, table));
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(img, "jpeg", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // writing to memory does not fail
    }
    return out.toByteArray();
  }

  private int colorAt(double x, double y, boolean table) {
    double dx = (x - centerX) / width * 2;
    double dy = (y - 0.5) / height * 2;
    if (inside(dx, dy)) {
      double along = x * Math.cos(angle) + y * Math.sin(angle);
      if ((along * stripes * 2 + 10) % 2 < 0.6) {
        return stripe.getRGB();
      }
      return scaled(body, 1 - 0.25 * Math.abs(dx));
    }
    Color base = table ? new Color(150, 110, 70) : new Color(250, 250, 250);
    double shadow = Math.hypot(dx / 1.2, (dy - 1.05) * 4);
    return shadow < 1 ? scaled(base, 0.75 + 0.25 * shadow) : base.getRGB();
  }

  private boolean inside(double dx, double dy) {
    switch (shape) {
      case 0: // mug: a body and a ring-shaped handle on the right
        double ring = Math.hypot((dx - 1.05) / 0.35, dy / 0.45);
        return (Math.abs(dx) <= 0.8 && Math.abs(dy) <= 1) || (ring >= 0.7 && ring <= 1);
      case 1: // bottle: a narrow neck on a round-shouldered body
        if (dy < -0.4) {
          return Math.abs(dx) <= 0.25;
        }
        return Math.hypot(dx, Math.max(0, -dy - 0.1) * 2) <= 0.9 && dy <= 1;
      case 2: // box: a front face and a top face
        return (Math.abs(dx) <= 0.9 && dy >= -0.7 && dy <= 1)
            || (dy >= -1 && dy < -0.7 && Math.abs(dx + (dy + 0.7)) <= 0.9);
      default: // bag: a trapezoid with a handle arc
        double arc = Math.hypot(dx / 0.5, (dy + 0.5) / 0.5);
        double half = 0.7 + 0.3 * (dy + 0.5) / 1.5;
        return (dy >= -0.5 && dy <= 1 && Math.abs(dx) <= half) || (dy < -0.5 && arc >= 0.8 && arc <= 1);
    }
  }

  private static int scaled(Color c, double k) {
    return new Color((int) (c.getRed() * k), (int) (c.getGreen() * k), (int) (c.getBlue() * k)).getRGB();
  }
}
