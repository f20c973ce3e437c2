using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;

namespace RouterHost.Crypto.Internal;

/// <summary>
/// ChaCha20-Poly1305 (RFC 8439) in C# over AVX-512, no native library. ChaCha20 runs 16 blocks at once, one block per
/// 32-bit lane (8 at once in 256-bit registers for the tail), and the Poly1305 one-time key is block 0 of the first
/// pass, so it costs no pass of its own (OpenSSL's per-message setup spends ~140 ns on it). Poly1305 runs 8 blocks at
/// once, one block per 64-bit lane in radix 2^26 (five 26-bit limbs, <c>vpmuludq</c>): each lane's accumulator is
/// multiplied by r^8 per step, and the lanes are folded with r^8 … r^1 at the end; messages under
/// <see cref="VectorPolyBlocks"/> blocks and the tail run the same arithmetic one block at a time. Nothing allocates;
/// the keystream, the one-time key and Poly1305's state on the stack are wiped before return.
/// </summary>
internal static unsafe class Avx512ChaCha20Poly1305
{
    /// <summary>Poly1305 takes the 8-lane path from this many 16-byte blocks (below it, computing r^2 … r^8 costs more).</summary>
    internal const int VectorPolyBlocks = 16;

    /// <summary>Messages up to this long (three blocks after the key block) take one 4-block pass.</summary>
    internal const int ShortMessageBytes = 192;

    private const uint Mask26 = 0x3ffffff;

    /// <summary>Whether this CPU and runtime run the 512-bit code (AVX-512 F and VL, accelerated).</summary>
    internal static bool IsSupported => Avx512F.IsSupported && Avx512F.VL.IsSupported && Vector512.IsHardwareAccelerated;

    [SkipLocalsInit]
    public static void Seal(byte* key, byte* nonce, byte* plaintext, int length, byte* ad, int adLength, byte* ciphertext, byte* tag)
    {
        uint* state = stackalloc uint[16];
        InitializeState(state, key, nonce);
        byte* stream = stackalloc byte[1024];

        // Pass 1: blocks 0..15 (block 0 is the Poly1305 key), 0..7 or 0..3 for a shorter message; then 16 blocks a
        // pass, the tail in one 8- or 4-block pass.
        uint blocks = FirstPass(state, length, stream);
        int first = Math.Min(length, ((int)blocks - 1) * 64);
        Poly1305 poly = new(stream);
        Xor(plaintext, stream + 64, ciphertext, first);
        XorRemainder(state, blocks, plaintext + first, ciphertext + first, length - first, stream);
        CryptographicOperations.ZeroMemory(new Span<byte>(stream, 1024));

        poly.Padded(ad, adLength);
        poly.Padded(ciphertext, length);
        poly.Lengths(adLength, length);
        poly.Finish(tag);
        Poly1305.Wipe(ref poly);
    }

    [SkipLocalsInit]
    public static bool Open(byte* key, byte* nonce, byte* ciphertext, int length, byte* tag, byte* ad, int adLength, byte* plaintext)
    {
        uint* state = stackalloc uint[16];
        InitializeState(state, key, nonce);
        byte* stream = stackalloc byte[1024];
        uint blocks = FirstPass(state, length, stream);
        Poly1305 poly = new(stream);
        poly.Padded(ad, adLength);
        poly.Padded(ciphertext, length);
        poly.Lengths(adLength, length);
        byte* computed = stackalloc byte[16];
        poly.Finish(computed);
        Poly1305.Wipe(ref poly);
        if (!CryptographicOperations.FixedTimeEquals(new ReadOnlySpan<byte>(computed, 16), new ReadOnlySpan<byte>(tag, 16)))
        {
            CryptographicOperations.ZeroMemory(new Span<byte>(stream, 1024));
            new Span<byte>(plaintext, length).Clear();
            return false;
        }

        int first = Math.Min(length, ((int)blocks - 1) * 64);
        Xor(ciphertext, stream + 64, plaintext, first);
        XorRemainder(state, blocks, ciphertext + first, plaintext + first, length - first, stream);
        CryptographicOperations.ZeroMemory(new Span<byte>(stream, 1024));
        return true;
    }

    /// <summary>Poly1305 alone over whole 16-byte blocks (for tests against an independent Poly1305).</summary>
    internal static void Poly1305WholeBlocks(byte* key, byte* message, int length, byte* tag)
    {
        if ((length & 15) != 0)
        {
            throw new ArgumentException("length must be a multiple of 16", nameof(length));
        }

        Poly1305 poly = new(key);
        poly.Padded(message, length);
        poly.Finish(tag);
        Poly1305.Wipe(ref poly);
    }

    private static void InitializeState(uint* state, byte* key, byte* nonce)
    {
        state[0] = 0x61707865;
        state[1] = 0x3320646e;
        state[2] = 0x79622d32;
        state[3] = 0x6b206574;
        for (int i = 0; i < 8; i++)
        {
            state[4 + i] = BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(key + (4 * i), 4));
        }

        state[12] = 0;
        state[13] = BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(nonce, 4));
        state[14] = BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(nonce + 4, 4));
        state[15] = BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(nonce + 8, 4));
    }

    /// <summary>
    /// Blocks 0..3 (one pass over 128-bit rows) for messages of up to 192 bytes, 0..7 up to 448, else 0..15; returns
    /// how many blocks it wrote.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint FirstPass(uint* state, int length, byte* stream)
    {
        if (length <= ShortMessageBytes)
        {
            Blocks4(state, 0, stream);
            return 4;
        }

        if (length <= 448)
        {
            Blocks8(state, 0, stream);
            return 8;
        }

        Blocks16(state, 0, stream);
        return 16;
    }

    /// <summary>
    /// Writes the 256 bytes of keystream blocks <paramref name="counter"/> … +3 to <paramref name="output"/>: one block per
    /// 128-bit lane, a row of the state per register, the diagonal round by rotating rows (a third of the instructions
    /// of a 16-block pass).
    /// </summary>
    [SkipLocalsInit]
    private static void Blocks4(uint* s, uint counter, byte* output)
    {
        Vector512<uint> a0 = Avx512F.BroadcastVector128ToVector512(s);
        Vector512<uint> b0 = Avx512F.BroadcastVector128ToVector512(s + 4);
        Vector512<uint> c0 = Avx512F.BroadcastVector128ToVector512(s + 8);
        Vector512<uint> d0 = Avx512F.BroadcastVector128ToVector512(s + 12) + Vector512.Create(counter, 0, 0, 0, counter + 1, 0, 0, 0, counter + 2, 0, 0, 0, counter + 3, 0, 0, 0);
        Vector512<uint> a = a0, b = b0, c = c0, d = d0;
        for (int i = 0; i < 10; i++)
        {
            QuarterRound(ref a, ref b, ref c, ref d);
            b = Avx512F.Shuffle(b, 0x39);
            c = Avx512F.Shuffle(c, 0x4E);
            d = Avx512F.Shuffle(d, 0x93);
            QuarterRound(ref a, ref b, ref c, ref d);
            b = Avx512F.Shuffle(b, 0x93);
            c = Avx512F.Shuffle(c, 0x4E);
            d = Avx512F.Shuffle(d, 0x39);
        }

        a += a0;
        b += b0;
        c += c0;
        d += d0;
        Vector512<uint> ab01 = Avx512F.Shuffle4x128(a, b, 0x44);
        Vector512<uint> cd01 = Avx512F.Shuffle4x128(c, d, 0x44);
        Vector512<uint> ab23 = Avx512F.Shuffle4x128(a, b, 0xEE);
        Vector512<uint> cd23 = Avx512F.Shuffle4x128(c, d, 0xEE);
        Vector512.Store(Avx512F.Shuffle4x128(ab01, cd01, 0x88), (uint*)output);
        Vector512.Store(Avx512F.Shuffle4x128(ab01, cd01, 0xDD), (uint*)(output + 64));
        Vector512.Store(Avx512F.Shuffle4x128(ab23, cd23, 0x88), (uint*)(output + 128));
        Vector512.Store(Avx512F.Shuffle4x128(ab23, cd23, 0xDD), (uint*)(output + 192));
    }

    /// <summary>XORs <paramref name="length"/> bytes from block <paramref name="counter"/> on: 16 blocks a pass, the tail in one 8- or 4-block pass.</summary>
    private static void XorRemainder(uint* state, uint counter, byte* input, byte* output, int length, byte* stream)
    {
        while (length > 512)
        {
            Blocks16(state, counter, stream);
            int n = Math.Min(length, 1024);
            Xor(input, stream, output, n);
            input += n;
            output += n;
            length -= n;
            counter += 16;
        }

        if (length > 256)
        {
            Blocks8(state, counter, stream);
            Xor(input, stream, output, length);
        }
        else if (length > 0)
        {
            Blocks4(state, counter, stream);
            Xor(input, stream, output, length);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Xor(byte* input, byte* stream, byte* output, int length)
    {
        int i = 0;
        for (; i + 64 <= length; i += 64)
        {
            Vector512.Store(Vector512.Load(input + i) ^ Vector512.Load(stream + i), output + i);
        }

        for (; i < length; i++)
        {
            output[i] = (byte)(input[i] ^ stream[i]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void QuarterRound(ref Vector512<uint> a, ref Vector512<uint> b, ref Vector512<uint> c, ref Vector512<uint> d)
    {
        a += b;
        d = Avx512F.RotateLeft(d ^ a, 16);
        c += d;
        b = Avx512F.RotateLeft(b ^ c, 12);
        a += b;
        d = Avx512F.RotateLeft(d ^ a, 8);
        c += d;
        b = Avx512F.RotateLeft(b ^ c, 7);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void QuarterRound(ref Vector256<uint> a, ref Vector256<uint> b, ref Vector256<uint> c, ref Vector256<uint> d)
    {
        a += b;
        d = Avx512F.VL.RotateLeft(d ^ a, 16);
        c += d;
        b = Avx512F.VL.RotateLeft(b ^ c, 12);
        a += b;
        d = Avx512F.VL.RotateLeft(d ^ a, 8);
        c += d;
        b = Avx512F.VL.RotateLeft(b ^ c, 7);
    }

    /// <summary>Writes the 1 024 bytes of keystream blocks <paramref name="counter"/> … +15 to <paramref name="output"/>.</summary>
    [SkipLocalsInit]
    private static void Blocks16(uint* s, uint counter, byte* output)
    {
        Vector512<uint> x0 = Vector512.Create(s[0]), x1 = Vector512.Create(s[1]), x2 = Vector512.Create(s[2]), x3 = Vector512.Create(s[3]);
        Vector512<uint> x4 = Vector512.Create(s[4]), x5 = Vector512.Create(s[5]), x6 = Vector512.Create(s[6]), x7 = Vector512.Create(s[7]);
        Vector512<uint> x8 = Vector512.Create(s[8]), x9 = Vector512.Create(s[9]), x10 = Vector512.Create(s[10]), x11 = Vector512.Create(s[11]);
        Vector512<uint> counters = Vector512.Create(counter) + Vector512<uint>.Indices;
        Vector512<uint> x12 = counters, x13 = Vector512.Create(s[13]), x14 = Vector512.Create(s[14]), x15 = Vector512.Create(s[15]);
        for (int i = 0; i < 10; i++)
        {
            QuarterRound(ref x0, ref x4, ref x8, ref x12);
            QuarterRound(ref x1, ref x5, ref x9, ref x13);
            QuarterRound(ref x2, ref x6, ref x10, ref x14);
            QuarterRound(ref x3, ref x7, ref x11, ref x15);
            QuarterRound(ref x0, ref x5, ref x10, ref x15);
            QuarterRound(ref x1, ref x6, ref x11, ref x12);
            QuarterRound(ref x2, ref x7, ref x8, ref x13);
            QuarterRound(ref x3, ref x4, ref x9, ref x14);
        }

        x0 += Vector512.Create(s[0]);
        x1 += Vector512.Create(s[1]);
        x2 += Vector512.Create(s[2]);
        x3 += Vector512.Create(s[3]);
        x4 += Vector512.Create(s[4]);
        x5 += Vector512.Create(s[5]);
        x6 += Vector512.Create(s[6]);
        x7 += Vector512.Create(s[7]);
        x8 += Vector512.Create(s[8]);
        x9 += Vector512.Create(s[9]);
        x10 += Vector512.Create(s[10]);
        x11 += Vector512.Create(s[11]);
        x12 += counters;
        x13 += Vector512.Create(s[13]);
        x14 += Vector512.Create(s[14]);
        x15 += Vector512.Create(s[15]);

        // Transpose: lane j of xi is word i of block j. Per 128-bit lane L, Interleave4 leaves words 4g..4g+3 of block
        // 4L+k in vector k; Store4 then gathers block k, 4+k, 8+k, 12+k from the four word groups.
        Interleave4(x0, x1, x2, x3, out Vector512<uint> a0, out Vector512<uint> a1, out Vector512<uint> a2, out Vector512<uint> a3);
        Interleave4(x4, x5, x6, x7, out Vector512<uint> b0, out Vector512<uint> b1, out Vector512<uint> b2, out Vector512<uint> b3);
        Interleave4(x8, x9, x10, x11, out Vector512<uint> c0, out Vector512<uint> c1, out Vector512<uint> c2, out Vector512<uint> c3);
        Interleave4(x12, x13, x14, x15, out Vector512<uint> d0, out Vector512<uint> d1, out Vector512<uint> d2, out Vector512<uint> d3);
        Store4(a0, b0, c0, d0, output);
        Store4(a1, b1, c1, d1, output + 64);
        Store4(a2, b2, c2, d2, output + 128);
        Store4(a3, b3, c3, d3, output + 192);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Interleave4(Vector512<uint> w0, Vector512<uint> w1, Vector512<uint> w2, Vector512<uint> w3, out Vector512<uint> k0, out Vector512<uint> k1, out Vector512<uint> k2, out Vector512<uint> k3)
    {
        Vector512<ulong> t0 = Avx512F.UnpackLow(w0, w1).AsUInt64();
        Vector512<ulong> t1 = Avx512F.UnpackHigh(w0, w1).AsUInt64();
        Vector512<ulong> t2 = Avx512F.UnpackLow(w2, w3).AsUInt64();
        Vector512<ulong> t3 = Avx512F.UnpackHigh(w2, w3).AsUInt64();
        k0 = Avx512F.UnpackLow(t0, t2).AsUInt32();
        k1 = Avx512F.UnpackHigh(t0, t2).AsUInt32();
        k2 = Avx512F.UnpackLow(t1, t3).AsUInt32();
        k3 = Avx512F.UnpackHigh(t1, t3).AsUInt32();
    }

    /// <summary>Stores blocks k, 4+k, 8+k and 12+k (output points at block k) from their four 16-byte word groups.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4(Vector512<uint> a, Vector512<uint> b, Vector512<uint> c, Vector512<uint> d, byte* output)
    {
        Vector512<uint> ab01 = Avx512F.Shuffle4x128(a, b, 0x44);
        Vector512<uint> cd01 = Avx512F.Shuffle4x128(c, d, 0x44);
        Vector512<uint> ab23 = Avx512F.Shuffle4x128(a, b, 0xEE);
        Vector512<uint> cd23 = Avx512F.Shuffle4x128(c, d, 0xEE);
        Vector512.Store(Avx512F.Shuffle4x128(ab01, cd01, 0x88), (uint*)output);
        Vector512.Store(Avx512F.Shuffle4x128(ab01, cd01, 0xDD), (uint*)(output + 256));
        Vector512.Store(Avx512F.Shuffle4x128(ab23, cd23, 0x88), (uint*)(output + 512));
        Vector512.Store(Avx512F.Shuffle4x128(ab23, cd23, 0xDD), (uint*)(output + 768));
    }

    /// <summary>Writes the 512 bytes of keystream blocks <paramref name="counter"/> … +7 to <paramref name="output"/>.</summary>
    [SkipLocalsInit]
    private static void Blocks8(uint* s, uint counter, byte* output)
    {
        Vector256<uint> x0 = Vector256.Create(s[0]), x1 = Vector256.Create(s[1]), x2 = Vector256.Create(s[2]), x3 = Vector256.Create(s[3]);
        Vector256<uint> x4 = Vector256.Create(s[4]), x5 = Vector256.Create(s[5]), x6 = Vector256.Create(s[6]), x7 = Vector256.Create(s[7]);
        Vector256<uint> x8 = Vector256.Create(s[8]), x9 = Vector256.Create(s[9]), x10 = Vector256.Create(s[10]), x11 = Vector256.Create(s[11]);
        Vector256<uint> counters = Vector256.Create(counter) + Vector256<uint>.Indices;
        Vector256<uint> x12 = counters, x13 = Vector256.Create(s[13]), x14 = Vector256.Create(s[14]), x15 = Vector256.Create(s[15]);
        for (int i = 0; i < 10; i++)
        {
            QuarterRound(ref x0, ref x4, ref x8, ref x12);
            QuarterRound(ref x1, ref x5, ref x9, ref x13);
            QuarterRound(ref x2, ref x6, ref x10, ref x14);
            QuarterRound(ref x3, ref x7, ref x11, ref x15);
            QuarterRound(ref x0, ref x5, ref x10, ref x15);
            QuarterRound(ref x1, ref x6, ref x11, ref x12);
            QuarterRound(ref x2, ref x7, ref x8, ref x13);
            QuarterRound(ref x3, ref x4, ref x9, ref x14);
        }

        x0 += Vector256.Create(s[0]);
        x1 += Vector256.Create(s[1]);
        x2 += Vector256.Create(s[2]);
        x3 += Vector256.Create(s[3]);
        x4 += Vector256.Create(s[4]);
        x5 += Vector256.Create(s[5]);
        x6 += Vector256.Create(s[6]);
        x7 += Vector256.Create(s[7]);
        x8 += Vector256.Create(s[8]);
        x9 += Vector256.Create(s[9]);
        x10 += Vector256.Create(s[10]);
        x11 += Vector256.Create(s[11]);
        x12 += counters;
        x13 += Vector256.Create(s[13]);
        x14 += Vector256.Create(s[14]);
        x15 += Vector256.Create(s[15]);

        Interleave4(x0, x1, x2, x3, out Vector256<uint> a0, out Vector256<uint> a1, out Vector256<uint> a2, out Vector256<uint> a3);
        Interleave4(x4, x5, x6, x7, out Vector256<uint> b0, out Vector256<uint> b1, out Vector256<uint> b2, out Vector256<uint> b3);
        Interleave4(x8, x9, x10, x11, out Vector256<uint> c0, out Vector256<uint> c1, out Vector256<uint> c2, out Vector256<uint> c3);
        Interleave4(x12, x13, x14, x15, out Vector256<uint> d0, out Vector256<uint> d1, out Vector256<uint> d2, out Vector256<uint> d3);
        Store2(a0, b0, c0, d0, output);
        Store2(a1, b1, c1, d1, output + 64);
        Store2(a2, b2, c2, d2, output + 128);
        Store2(a3, b3, c3, d3, output + 192);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Interleave4(Vector256<uint> w0, Vector256<uint> w1, Vector256<uint> w2, Vector256<uint> w3, out Vector256<uint> k0, out Vector256<uint> k1, out Vector256<uint> k2, out Vector256<uint> k3)
    {
        Vector256<ulong> t0 = Avx2.UnpackLow(w0, w1).AsUInt64();
        Vector256<ulong> t1 = Avx2.UnpackHigh(w0, w1).AsUInt64();
        Vector256<ulong> t2 = Avx2.UnpackLow(w2, w3).AsUInt64();
        Vector256<ulong> t3 = Avx2.UnpackHigh(w2, w3).AsUInt64();
        k0 = Avx2.UnpackLow(t0, t2).AsUInt32();
        k1 = Avx2.UnpackHigh(t0, t2).AsUInt32();
        k2 = Avx2.UnpackLow(t1, t3).AsUInt32();
        k3 = Avx2.UnpackHigh(t1, t3).AsUInt32();
    }

    /// <summary>Stores blocks k and 4+k (output points at block k) from their four 16-byte word groups.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store2(Vector256<uint> a, Vector256<uint> b, Vector256<uint> c, Vector256<uint> d, byte* output)
    {
        Vector256.Store(Avx2.Permute2x128(a, b, 0x20), (uint*)output);
        Vector256.Store(Avx2.Permute2x128(c, d, 0x20), (uint*)(output + 32));
        Vector256.Store(Avx2.Permute2x128(a, b, 0x31), (uint*)(output + 256));
        Vector256.Store(Avx2.Permute2x128(c, d, 0x31), (uint*)(output + 288));
    }

    /// <summary>Poly1305 in radix 2^26: five limbs for the accumulator h and for r, 5·r for the wrap-around.</summary>
    private struct Poly1305
    {
        private ulong _h0, _h1, _h2, _h3, _h4;
        private readonly ulong _r0, _r1, _r2, _r3, _r4;
        private readonly uint _pad0, _pad1, _pad2, _pad3;

        /// <summary>Keys from the first 32 bytes of <paramref name="key"/> (r clamped, then s).</summary>
        public Poly1305(byte* key)
        {
            uint t0 = Read32(key), t1 = Read32(key + 4), t2 = Read32(key + 8), t3 = Read32(key + 12);
            _r0 = t0 & 0x3ffffff;
            _r1 = ((t0 >> 26) | (t1 << 6)) & 0x3ffff03;
            _r2 = ((t1 >> 20) | (t2 << 12)) & 0x3ffc0ff;
            _r3 = ((t2 >> 14) | (t3 << 18)) & 0x3f03fff;
            _r4 = (t3 >> 8) & 0x00fffff;
            _pad0 = Read32(key + 16);
            _pad1 = Read32(key + 20);
            _pad2 = Read32(key + 24);
            _pad3 = Read32(key + 28);
            _h0 = _h1 = _h2 = _h3 = _h4 = 0;
        }

        /// <summary>Absorbs <paramref name="length"/> bytes, the last block zero-padded to 16 (the AEAD's padding).</summary>
        public void Padded(byte* data, int length)
        {
            int blocks = length >> 4;
            if (blocks >= VectorPolyBlocks)
            {
                int vector = blocks & ~7;
                Vector8(data, vector);
                data += vector * 16;
                blocks -= vector;
                length -= vector * 16;
            }

            for (int i = 0; i < blocks; i++)
            {
                Block(data);
                data += 16;
            }

            int rest = length & 15;
            if (rest != 0)
            {
                byte* last = stackalloc byte[16];
                new Span<byte>(last, 16).Clear();
                new ReadOnlySpan<byte>(data, rest).CopyTo(new Span<byte>(last, 16));
                Block(last);
            }
        }

        public void Lengths(int adLength, int length)
        {
            byte* block = stackalloc byte[16];
            BinaryPrimitives.WriteUInt64LittleEndian(new Span<byte>(block, 8), (ulong)adLength);
            BinaryPrimitives.WriteUInt64LittleEndian(new Span<byte>(block + 8, 8), (ulong)length);
            Block(block);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Block(byte* m)
        {
            uint t0 = Read32(m), t1 = Read32(m + 4), t2 = Read32(m + 8), t3 = Read32(m + 12);
            ulong h0 = _h0 + (t0 & Mask26);
            ulong h1 = _h1 + (((t0 >> 26) | (t1 << 6)) & Mask26);
            ulong h2 = _h2 + (((t1 >> 20) | (t2 << 12)) & Mask26);
            ulong h3 = _h3 + (((t2 >> 14) | (t3 << 18)) & Mask26);
            ulong h4 = _h4 + ((t3 >> 8) | (1u << 24));
            ulong s1 = _r1 * 5, s2 = _r2 * 5, s3 = _r3 * 5, s4 = _r4 * 5;
            ulong d0 = (h0 * _r0) + (h1 * s4) + (h2 * s3) + (h3 * s2) + (h4 * s1);
            ulong d1 = (h0 * _r1) + (h1 * _r0) + (h2 * s4) + (h3 * s3) + (h4 * s2);
            ulong d2 = (h0 * _r2) + (h1 * _r1) + (h2 * _r0) + (h3 * s4) + (h4 * s3);
            ulong d3 = (h0 * _r3) + (h1 * _r2) + (h2 * _r1) + (h3 * _r0) + (h4 * s4);
            ulong d4 = (h0 * _r4) + (h1 * _r3) + (h2 * _r2) + (h3 * _r1) + (h4 * _r0);
            Carry(d0, d1, d2, d3, d4);
        }

        /// <summary>h = d mod p, limbs below 2^26 except h1 (below 2^26 + 2^6).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Carry(ulong d0, ulong d1, ulong d2, ulong d3, ulong d4)
        {
            d1 += d0 >> 26;
            d2 += d1 >> 26;
            d3 += d2 >> 26;
            d4 += d3 >> 26;
            ulong h0 = (d0 & Mask26) + ((d4 >> 26) * 5);
            _h1 = (d1 & Mask26) + (h0 >> 26);
            _h0 = h0 & Mask26;
            _h2 = d2 & Mask26;
            _h3 = d3 & Mask26;
            _h4 = d4 & Mask26;
        }

        /// <summary>Absorbs <paramref name="blocks"/> (a multiple of 8, at least 16) blocks, one per 64-bit lane.</summary>
        private void Vector8(byte* m, int blocks)
        {
            Vector512<ulong> mask = Vector512.Create((ulong)Mask26);

            // Powers: lane k ends with r^(8-k). r^2 everywhere, then [r^4 x5, r^3, r^2, r], then [r^8 … r].
            Vector512<ulong> r0 = Vector512.Create(_r0), r1 = Vector512.Create(_r1), r2 = Vector512.Create(_r2), r3 = Vector512.Create(_r3), r4 = Vector512.Create(_r4);
            Multiply(r0, r1, r2, r3, r4, r0, r1, r2, r3, r4, mask, out Vector512<ulong> q0, out Vector512<ulong> q1, out Vector512<ulong> q2, out Vector512<ulong> q3, out Vector512<ulong> q4);

            // [r^2 x5, r, 1, 1] as the multiplier of [r^2 x7, r]: lanes 0-4 take r^2, lane 5 r, lanes 6-7 one.
            Vector512<ulong> one = Vector512.Create(1UL, 1, 1, 1, 1, 1, 1, 1);
            Vector512<ulong> zero = Vector512<ulong>.Zero;
            Vector512<ulong> lanes04 = Vector512.Create(ulong.MaxValue, ulong.MaxValue, ulong.MaxValue, ulong.MaxValue, ulong.MaxValue, 0, 0, 0);
            Vector512<ulong> lane5 = Vector512.Create(0, 0, 0, 0, 0, ulong.MaxValue, 0, 0);
            Vector512<ulong> lane7 = Vector512.Create(0, 0, 0, 0, 0, 0, 0, ulong.MaxValue);
            Vector512<ulong> lanes03 = Vector512.Create(ulong.MaxValue, ulong.MaxValue, ulong.MaxValue, ulong.MaxValue, 0, 0, 0, 0);

            // a = [r^2 x7, r]
            Vector512<ulong> a0 = Vector512.ConditionalSelect(lane7, r0, q0), a1 = Vector512.ConditionalSelect(lane7, r1, q1), a2 = Vector512.ConditionalSelect(lane7, r2, q2), a3 = Vector512.ConditionalSelect(lane7, r3, q3), a4 = Vector512.ConditionalSelect(lane7, r4, q4);

            // b = [r^2 x5, r, 1, 1]
            Vector512<ulong> b0 = Vector512.ConditionalSelect(lanes04, q0, Vector512.ConditionalSelect(lane5, r0, one));
            Vector512<ulong> b1 = Vector512.ConditionalSelect(lanes04, q1, Vector512.ConditionalSelect(lane5, r1, zero));
            Vector512<ulong> b2 = Vector512.ConditionalSelect(lanes04, q2, Vector512.ConditionalSelect(lane5, r2, zero));
            Vector512<ulong> b3 = Vector512.ConditionalSelect(lanes04, q3, Vector512.ConditionalSelect(lane5, r3, zero));
            Vector512<ulong> b4 = Vector512.ConditionalSelect(lanes04, q4, Vector512.ConditionalSelect(lane5, r4, zero));

            // e = a·b = [r^4 x5, r^3, r^2, r]
            Multiply(a0, a1, a2, a3, a4, b0, b1, b2, b3, b4, mask, out Vector512<ulong> e0, out Vector512<ulong> e1, out Vector512<ulong> e2, out Vector512<ulong> e3, out Vector512<ulong> e4);

            // f = [r^4, r^3, r^2, r, 1, 1, 1, 1] from e's lanes 0, 5, 6, 7
            Vector512<ulong> pick = Vector512.Create(0UL, 5, 6, 7, 0, 0, 0, 0);
            Vector512<ulong> f0 = Vector512.ConditionalSelect(lanes03, Avx512F.PermuteVar8x64(e0, pick), one);
            Vector512<ulong> f1 = Vector512.ConditionalSelect(lanes03, Avx512F.PermuteVar8x64(e1, pick), zero);
            Vector512<ulong> f2 = Vector512.ConditionalSelect(lanes03, Avx512F.PermuteVar8x64(e2, pick), zero);
            Vector512<ulong> f3 = Vector512.ConditionalSelect(lanes03, Avx512F.PermuteVar8x64(e3, pick), zero);
            Vector512<ulong> f4 = Vector512.ConditionalSelect(lanes03, Avx512F.PermuteVar8x64(e4, pick), zero);

            // p = e·f = [r^8, r^7, …, r]; r^8 in every lane for the loop.
            Multiply(e0, e1, e2, e3, e4, f0, f1, f2, f3, f4, mask, out Vector512<ulong> p0, out Vector512<ulong> p1, out Vector512<ulong> p2, out Vector512<ulong> p3, out Vector512<ulong> p4);
            Vector512<ulong> first = Vector512<ulong>.Zero;
            Vector512<ulong> w0 = Avx512F.PermuteVar8x64(p0, first), w1 = Avx512F.PermuteVar8x64(p1, first), w2 = Avx512F.PermuteVar8x64(p2, first), w3 = Avx512F.PermuteVar8x64(p3, first), w4 = Avx512F.PermuteVar8x64(p4, first);

            // Lane k starts with block k (lane 0 also with h).
            Vector512<ulong> even = Vector512.Create(0UL, 2, 4, 6, 8, 10, 12, 14);
            Vector512<ulong> odd = Vector512.Create(1UL, 3, 5, 7, 9, 11, 13, 15);
            Vector512<ulong> hibit = Vector512.Create(1UL << 24);
            Vector512<ulong> lane0 = Vector512.Create(ulong.MaxValue, 0, 0, 0, 0, 0, 0, 0);
            Load(m, even, odd, mask, hibit, out Vector512<ulong> h0, out Vector512<ulong> h1, out Vector512<ulong> h2, out Vector512<ulong> h3, out Vector512<ulong> h4);
            h0 += Vector512.Create(_h0) & lane0;
            h1 += Vector512.Create(_h1) & lane0;
            h2 += Vector512.Create(_h2) & lane0;
            h3 += Vector512.Create(_h3) & lane0;
            h4 += Vector512.Create(_h4) & lane0;

            Vector512<ulong> v1 = Times5(w1), v2 = Times5(w2), v3 = Times5(w3), v4 = Times5(w4);
            for (int i = 8; i < blocks; i += 8)
            {
                Multiply(h0, h1, h2, h3, h4, w0, w1, w2, w3, w4, v1, v2, v3, v4, mask, out h0, out h1, out h2, out h3, out h4);
                Load(m + (i * 16), even, odd, mask, hibit, out Vector512<ulong> m0, out Vector512<ulong> m1, out Vector512<ulong> m2, out Vector512<ulong> m3, out Vector512<ulong> m4);
                h0 += m0;
                h1 += m1;
                h2 += m2;
                h3 += m3;
                h4 += m4;
            }

            // Fold: lane k times r^(8-k), then the lanes' sum (products below 2^58, so eight of them fit 64 bits).
            Products(h0, h1, h2, h3, h4, p0, p1, p2, p3, p4, out Vector512<ulong> d0, out Vector512<ulong> d1, out Vector512<ulong> d2, out Vector512<ulong> d3, out Vector512<ulong> d4);
            Carry(Vector512.Sum(d0), Vector512.Sum(d1), Vector512.Sum(d2), Vector512.Sum(d3), Vector512.Sum(d4));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Load(byte* m, Vector512<ulong> even, Vector512<ulong> odd, Vector512<ulong> mask, Vector512<ulong> hibit, out Vector512<ulong> m0, out Vector512<ulong> m1, out Vector512<ulong> m2, out Vector512<ulong> m3, out Vector512<ulong> m4)
        {
            Vector512<ulong> x = Vector512.Load((ulong*)m);
            Vector512<ulong> y = Vector512.Load((ulong*)(m + 64));
            Vector512<ulong> lo = Avx512F.PermuteVar8x64x2(x, even, y);
            Vector512<ulong> hi = Avx512F.PermuteVar8x64x2(x, odd, y);
            m0 = lo & mask;
            m1 = (lo >>> 26) & mask;
            m2 = ((lo >>> 52) | (hi << 12)) & mask;
            m3 = (hi >>> 14) & mask;
            m4 = (hi >>> 40) | hibit;
        }

        /// <summary>d = h·r per lane, not reduced (h limbs below 2^32, r limbs below 2^26).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Products(Vector512<ulong> h0, Vector512<ulong> h1, Vector512<ulong> h2, Vector512<ulong> h3, Vector512<ulong> h4, Vector512<ulong> r0, Vector512<ulong> r1, Vector512<ulong> r2, Vector512<ulong> r3, Vector512<ulong> r4, out Vector512<ulong> d0, out Vector512<ulong> d1, out Vector512<ulong> d2, out Vector512<ulong> d3, out Vector512<ulong> d4) =>
            Products(h0, h1, h2, h3, h4, r0, r1, r2, r3, r4, Times5(r1), Times5(r2), Times5(r3), Times5(r4), out d0, out d1, out d2, out d3, out d4);

        /// <summary>d = h·r per lane with s = 5·r given (hoisted out of loops).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Products(Vector512<ulong> h0, Vector512<ulong> h1, Vector512<ulong> h2, Vector512<ulong> h3, Vector512<ulong> h4, Vector512<ulong> r0, Vector512<ulong> r1, Vector512<ulong> r2, Vector512<ulong> r3, Vector512<ulong> r4, Vector512<ulong> s1, Vector512<ulong> s2, Vector512<ulong> s3, Vector512<ulong> s4, out Vector512<ulong> d0, out Vector512<ulong> d1, out Vector512<ulong> d2, out Vector512<ulong> d3, out Vector512<ulong> d4)
        {
            d0 = Mul(h0, r0) + Mul(h1, s4) + Mul(h2, s3) + Mul(h3, s2) + Mul(h4, s1);
            d1 = Mul(h0, r1) + Mul(h1, r0) + Mul(h2, s4) + Mul(h3, s3) + Mul(h4, s2);
            d2 = Mul(h0, r2) + Mul(h1, r1) + Mul(h2, r0) + Mul(h3, s4) + Mul(h4, s3);
            d3 = Mul(h0, r3) + Mul(h1, r2) + Mul(h2, r1) + Mul(h3, r0) + Mul(h4, s4);
            d4 = Mul(h0, r4) + Mul(h1, r3) + Mul(h2, r2) + Mul(h3, r1) + Mul(h4, r0);
        }

        /// <summary>h·r mod p per lane, limbs carried below 2^26 (h1 below 2^26 + 2^6).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Multiply(Vector512<ulong> h0, Vector512<ulong> h1, Vector512<ulong> h2, Vector512<ulong> h3, Vector512<ulong> h4, Vector512<ulong> r0, Vector512<ulong> r1, Vector512<ulong> r2, Vector512<ulong> r3, Vector512<ulong> r4, Vector512<ulong> mask, out Vector512<ulong> o0, out Vector512<ulong> o1, out Vector512<ulong> o2, out Vector512<ulong> o3, out Vector512<ulong> o4) =>
            Multiply(h0, h1, h2, h3, h4, r0, r1, r2, r3, r4, Times5(r1), Times5(r2), Times5(r3), Times5(r4), mask, out o0, out o1, out o2, out o3, out o4);

        /// <summary>h·r mod p per lane with s = 5·r given.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Multiply(Vector512<ulong> h0, Vector512<ulong> h1, Vector512<ulong> h2, Vector512<ulong> h3, Vector512<ulong> h4, Vector512<ulong> r0, Vector512<ulong> r1, Vector512<ulong> r2, Vector512<ulong> r3, Vector512<ulong> r4, Vector512<ulong> s1, Vector512<ulong> s2, Vector512<ulong> s3, Vector512<ulong> s4, Vector512<ulong> mask, out Vector512<ulong> o0, out Vector512<ulong> o1, out Vector512<ulong> o2, out Vector512<ulong> o3, out Vector512<ulong> o4)
        {
            Products(h0, h1, h2, h3, h4, r0, r1, r2, r3, r4, s1, s2, s3, s4, out Vector512<ulong> d0, out Vector512<ulong> d1, out Vector512<ulong> d2, out Vector512<ulong> d3, out Vector512<ulong> d4);
            d1 += d0 >>> 26;
            d2 += d1 >>> 26;
            d3 += d2 >>> 26;
            d4 += d3 >>> 26;
            Vector512<ulong> c = d4 >>> 26;
            Vector512<ulong> x0 = (d0 & mask) + c + (c << 2);
            o1 = (d1 & mask) + (x0 >>> 26);
            o0 = x0 & mask;
            o2 = d2 & mask;
            o3 = d3 & mask;
            o4 = d4 & mask;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<ulong> Times5(Vector512<ulong> r) => r + (r << 2);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<ulong> Mul(Vector512<ulong> a, Vector512<ulong> b) => Avx512F.Multiply(a.AsUInt32(), b.AsUInt32());

        /// <summary>Clears the one-time key (r, s) and the accumulator from the stack.</summary>
        public static void Wipe(ref Poly1305 poly) =>
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(new Span<Poly1305>(ref poly)));

        /// <summary>Writes (h mod p + s) mod 2^128.</summary>
        public void Finish(byte* tag)
        {
            ulong h0 = _h0, h1 = _h1, h2 = _h2, h3 = _h3, h4 = _h4;
            h2 += h1 >> 26;
            h1 &= Mask26;
            h3 += h2 >> 26;
            h2 &= Mask26;
            h4 += h3 >> 26;
            h3 &= Mask26;
            h0 += (h4 >> 26) * 5;
            h4 &= Mask26;
            h1 += h0 >> 26;
            h0 &= Mask26;

            // g = h + 5 - 2^130: if it does not borrow, h >= p and g is the reduced value.
            ulong g0 = h0 + 5;
            ulong g1 = h1 + (g0 >> 26);
            g0 &= Mask26;
            ulong g2 = h2 + (g1 >> 26);
            g1 &= Mask26;
            ulong g3 = h3 + (g2 >> 26);
            g2 &= Mask26;
            ulong g4 = h4 + (g3 >> 26) - (1UL << 26);
            g3 &= Mask26;
            ulong useG = (g4 >> 63) - 1; // all ones when g4 did not borrow
            h0 = (h0 & ~useG) | (g0 & useG);
            h1 = (h1 & ~useG) | (g1 & useG);
            h2 = (h2 & ~useG) | (g2 & useG);
            h3 = (h3 & ~useG) | (g3 & useG);
            h4 = (h4 & ~useG) | (g4 & useG & Mask26);

            ulong w0 = (h0 | (h1 << 26)) & 0xffffffff;
            ulong w1 = ((h1 >> 6) | (h2 << 20)) & 0xffffffff;
            ulong w2 = ((h2 >> 12) | (h3 << 14)) & 0xffffffff;
            ulong w3 = ((h3 >> 18) | (h4 << 8)) & 0xffffffff;
            ulong f = w0 + _pad0;
            Write32(tag, (uint)f);
            f = w1 + _pad1 + (f >> 32);
            Write32(tag + 4, (uint)f);
            f = w2 + _pad2 + (f >> 32);
            Write32(tag + 8, (uint)f);
            f = w3 + _pad3 + (f >> 32);
            Write32(tag + 12, (uint)f);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static uint Read32(byte* p) => BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(p, 4));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Write32(byte* p, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(new Span<byte>(p, 4), value);
    }
}
