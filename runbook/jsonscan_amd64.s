// indexUnsafeAVX2: the index of the first byte of a string that
// encoding/json escapes (HTML escaping on) or that is not ASCII, for
// safePrefix (jsonscan_amd64.go) on CPUs with AVX2. It reads only the
// string's bytes, except that a string shorter than 16 bytes is loaded as
// 16 bytes from the string's own page (TestSafePrefixStaysInBounds).

#include "textflag.h"

// The bytes indexUnsafeAVX2 broadcasts, one to a register: 0x20 (Y8),
// 0x04 (Y9), '&' (Y10), 0x02 (Y11), '>' (Y12), '\\' (Y13).
DATA jsonscanConsts<>+0(SB)/8, $0x00005c3e02260420
GLOBL jsonscanConsts<>(SB), RODATA|NOPTR, $8

// UNSAFE32 sets bit k of DX when byte k of Y0 needs escaping in JSON.
// Signed 0x20 > b holds for the bytes below 0x20 and for every byte of
// 0x80 or more (negative); b|0x04 == '&' for '"' (0x22) and '&' (0x26);
// b|0x02 == '>' for '<' (0x3c) and '>' (0x3e); then '\\'.
#define UNSAFE32 \
	VPCMPGTB  Y0, Y8, Y1; \
	VPOR      Y9, Y0, Y2; \
	VPCMPEQB  Y10, Y2, Y2; \
	VPOR      Y11, Y0, Y3; \
	VPCMPEQB  Y12, Y3, Y3; \
	VPCMPEQB  Y13, Y0, Y4; \
	VPOR      Y2, Y1, Y1; \
	VPOR      Y4, Y3, Y3; \
	VPOR      Y3, Y1, Y1; \
	VPMOVMSKB Y1, DX

// UNSAFE16 is UNSAFE32 on the 16 bytes of X0 (the constants' low halves).
#define UNSAFE16 \
	VPCMPGTB  X0, X8, X1; \
	VPOR      X9, X0, X2; \
	VPCMPEQB  X10, X2, X2; \
	VPOR      X11, X0, X3; \
	VPCMPEQB  X12, X3, X3; \
	VPCMPEQB  X13, X0, X4; \
	VPOR      X2, X1, X1; \
	VPOR      X4, X3, X3; \
	VPOR      X3, X1, X1; \
	VPMOVMSKB X1, DX

// func indexUnsafeAVX2(s string) int
TEXT ·indexUnsafeAVX2(SB), NOSPLIT, $0-24
	MOVQ s_base+0(FP), SI
	MOVQ s_len+8(FP), BX
	TESTQ BX, BX
	JEQ  none
	VPBROADCASTB jsonscanConsts<>+0(SB), Y8
	VPBROADCASTB jsonscanConsts<>+1(SB), Y9
	VPBROADCASTB jsonscanConsts<>+2(SB), Y10
	VPBROADCASTB jsonscanConsts<>+3(SB), Y11
	VPBROADCASTB jsonscanConsts<>+4(SB), Y12
	VPBROADCASTB jsonscanConsts<>+5(SB), Y13
	CMPQ BX, $16
	JB   small
	CMPQ BX, $32
	JB   mid

	// 32 bytes a round; the last round loads the last 32 bytes, which
	// may overlap the round before (whose bytes were all safe, so the
	// first unsafe byte found there is the first of s).
	MOVQ SI, DI
	LEAQ -32(SI)(BX*1), R11
loop:
	CMPQ DI, R11
	JAE  last
	VMOVDQU (DI), Y0
	UNSAFE32
	TESTL DX, DX
	JNZ  found
	ADDQ $32, DI
	JMP  loop
last:
	MOVQ R11, DI
	VMOVDQU (DI), Y0
	UNSAFE32
	TESTL DX, DX
	JNZ  found
	VZEROUPPER
none:
	MOVQ BX, ret+16(FP)
	RET

// DX has the bits of the unsafe bytes of the chunk at DI.
found:
	BSFL DX, DX
	SUBQ SI, DI
	ADDQ DI, DX
	MOVQ DX, ret+16(FP)
	VZEROUPPER
	RET

// 16 to 31 bytes: the first 16, then the last 16.
mid:
	MOVQ SI, DI
	VMOVDQU (DI), X0
	UNSAFE16
	TESTL DX, DX
	JNZ  found
	LEAQ -16(SI)(BX*1), DI
	VMOVDQU (DI), X0
	UNSAFE16
	TESTL DX, DX
	JNZ  found
	VZEROUPPER
	MOVQ BX, ret+16(FP)
	RET

// 1 to 15 bytes: one 16-byte load that stays within s's page (as
// internal/bytealg's IndexByte does): from s when that does not cross into
// the next page, else ending at s's end. Bits of bytes outside s are
// masked or shifted out.
small:
	LEAQ 16(SI), AX
	TESTW $0xff0, AX
	JEQ  endofpage
	VMOVDQU (SI), X0
	UNSAFE16
	MOVL $1, AX
	MOVL BX, CX
	SHLL CX, AX
	DECL AX
	ANDL AX, DX
	JMP  smallresult
endofpage:
	VMOVDQU -16(SI)(BX*1), X0
	UNSAFE16
	MOVL BX, CX
	SHLL CX, DX
	SHRL $16, DX
smallresult:
	VZEROUPPER
	TESTL DX, DX
	JEQ  none
	BSFL DX, DX
	MOVQ DX, ret+16(FP)
	RET
