#include "ringlet_sample_clip.h"

// Defined in clip.S.
extern const unsigned char ringlet_sample_clip_data[];
extern const unsigned long long ringlet_sample_clip_length;
extern const unsigned char ringlet_sample_tone_data[];
extern const unsigned long long ringlet_sample_tone_length;

const unsigned char *ringlet_sample_clip_bytes(void) { return ringlet_sample_clip_data; }

unsigned long ringlet_sample_clip_size(void) { return (unsigned long)ringlet_sample_clip_length; }

const unsigned char *ringlet_sample_tone_opus_bytes(void) { return ringlet_sample_tone_data; }

unsigned long ringlet_sample_tone_opus_size(void) { return (unsigned long)ringlet_sample_tone_length; }
