#ifndef RINGLET_SAMPLE_CLIP_H
#define RINGLET_SAMPLE_CLIP_H

/// The first byte of the bundled sample clip (clip-640x480.h264 beside this header, see ../PROVENANCE.md),
/// built into the program.
const unsigned char *ringlet_sample_clip_bytes(void);

/// The clip's size in bytes.
unsigned long ringlet_sample_clip_size(void);

/// The first byte of the bundled Opus tone (tone-440.opus beside this header, an Ogg Opus file).
const unsigned char *ringlet_sample_tone_opus_bytes(void);

/// The Opus tone's size in bytes.
unsigned long ringlet_sample_tone_opus_size(void);

#endif
