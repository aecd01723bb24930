// The sample media's bytes, built into the program (no resource bundle, so the device program needs no
// Foundation). `.incbin` finds the files through the target's include folder (an -I path of the build).
    .section .rodata
    .balign 16
    .globl ringlet_sample_clip_data
ringlet_sample_clip_data:
    .incbin "clip-640x480.h264"
ringlet_sample_clip_data_end:
    .balign 8
    .globl ringlet_sample_clip_length
ringlet_sample_clip_length:
    .quad ringlet_sample_clip_data_end - ringlet_sample_clip_data
    .balign 16
    .globl ringlet_sample_tone_data
ringlet_sample_tone_data:
    .incbin "tone-440.opus"
ringlet_sample_tone_data_end:
    .balign 8
    .globl ringlet_sample_tone_length
ringlet_sample_tone_length:
    .quad ringlet_sample_tone_data_end - ringlet_sample_tone_data
    .section .note.GNU-stack,"",@progbits
