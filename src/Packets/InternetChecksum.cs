using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace RouterHost.Packets;

/// <summary>
/// The Internet checksum (RFC 1071): the one's-complement sum of big-endian 16-bit words.
/// <para>
/// Sums are passed around <em>folded but not inverted</em> (a value in 0..0xFFFF, as a big-endian number), so
/// partial sums chain: <c>Sum(b, Sum(a))</c> equals <c>Sum(a ++ b)</c> when <c>a</c> has an even length.
/// <see cref="Finish"/> inverts a sum into the value written on the wire.
/// </para>
/// </summary>
public static class InternetChecksum
{
    // Each 32-bit SIMD lane takes at most two 16-bit words (2 * 0xFFFF) per vector, so it cannot overflow
    // within 2^15 vectors; draining into a 64-bit total well before that keeps any length exact.
    private const int VectorsPerDrain = 16384;

    /// <summary>
    /// The folded one's-complement sum of <paramref name="data"/> added to <paramref name="initial"/>.
    /// A trailing odd byte is padded with zero, as RFC 1071 specifies. Uses the widest SIMD the machine has.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Sum(ReadOnlySpan<byte> data, ushort initial = 0)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        ulong nativeSum;
        if (Vector512.IsHardwareAccelerated && data.Length >= 128)
        {
            nativeSum = SumVector512(ref start, data.Length);
        }
        else if (Vector256.IsHardwareAccelerated && data.Length >= 64)
        {
            nativeSum = SumVector256(ref start, data.Length);
        }
        else if (Vector128.IsHardwareAccelerated && data.Length >= 32)
        {
            nativeSum = SumVector128(ref start, data.Length);
        }
        else
        {
            nativeSum = SumWords64(ref start, data.Length, 0);
        }

        return Add(SwapFolded(nativeSum), initial);
    }

    /// <summary>
    /// The RFC 1071 reference: a plain loop over big-endian 16-bit words. Slow; it is the oracle the fast path
    /// is tested against and the baseline it is benchmarked against.
    /// </summary>
    public static ushort SumScalar(ReadOnlySpan<byte> data, ushort initial = 0)
    {
        ulong sum = initial;
        int i = 0;
        for (; i + 1 < data.Length; i += 2)
        {
            sum += (uint)((data[i] << 8) | data[i + 1]);
        }

        if (i < data.Length)
        {
            sum += (uint)data[i] << 8;
        }

        return Fold(sum);
    }

    /// <summary>The checksum to write on the wire for <paramref name="data"/> (the inverted sum).</summary>
    public static ushort Compute(ReadOnlySpan<byte> data, ushort initial = 0) => Finish(Sum(data, initial));

    /// <summary>Inverts a folded sum into the checksum field's value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Finish(ushort sum) => (ushort)~sum;

    /// <summary>One's-complement addition of two folded sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Add(ushort a, ushort b) => Fold((uint)a + b);

    /// <summary>Folds a wide accumulator of 16-bit words into 16 bits with end-around carry.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Fold(ulong sum)
    {
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32);
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32);
        uint s = (uint)sum;
        s = (s & 0xFFFF) + (s >> 16);
        s = (s & 0xFFFF) + (s >> 16);
        return (ushort)s;
    }

    /// <summary>Whether data whose checksum field is included sums to all ones, i.e. the checksum verifies.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Verifies(ReadOnlySpan<byte> data, ushort initial = 0) => Sum(data, initial) == 0xFFFF;

    // Words loaded little-endian sum to the byte-swapped big-endian sum (RFC 1071 section 2(B)), so the hot
    // loops never swap: the total is folded to 16 bits and swapped once.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ushort SwapFolded(ulong nativeSum) =>
        BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(Fold(nativeSum)) : Fold(nativeSum);

    /// <summary>The little-endian-word sum using 512-bit vectors for the bulk. Internal so tests reach each width.</summary>
    internal static ulong SumVector512(ref byte start, int length)
    {
        ulong total = 0;
        int offset = 0;
        Vector512<uint> lowMask = Vector512.Create(0xFFFFu);
        int vectorBytes = Vector512<byte>.Count;
        while (length - offset >= vectorBytes)
        {
            Vector512<uint> acc0 = Vector512<uint>.Zero;
            Vector512<uint> acc1 = Vector512<uint>.Zero;
            int budget = VectorsPerDrain;
            while (budget >= 2 && length - offset >= 2 * vectorBytes)
            {
                Vector512<uint> a = Vector512.LoadUnsafe(ref start, (nuint)offset).AsUInt32();
                Vector512<uint> b = Vector512.LoadUnsafe(ref start, (nuint)(offset + vectorBytes)).AsUInt32();
                acc0 += (a & lowMask) + (a >>> 16);
                acc1 += (b & lowMask) + (b >>> 16);
                offset += 2 * vectorBytes;
                budget -= 2;
            }

            if (budget >= 1 && length - offset >= vectorBytes)
            {
                Vector512<uint> a = Vector512.LoadUnsafe(ref start, (nuint)offset).AsUInt32();
                acc0 += (a & lowMask) + (a >>> 16);
                offset += vectorBytes;
            }

            total += DrainLanes(acc0) + DrainLanes(acc1);
        }

        return SumTail(ref start, offset, length, total);
    }

    /// <summary>The little-endian-word sum using 256-bit vectors for the bulk.</summary>
    internal static ulong SumVector256(ref byte start, int length)
    {
        ulong total = 0;
        int offset = 0;
        Vector256<uint> lowMask = Vector256.Create(0xFFFFu);
        int vectorBytes = Vector256<byte>.Count;
        while (length - offset >= vectorBytes)
        {
            Vector256<uint> acc0 = Vector256<uint>.Zero;
            Vector256<uint> acc1 = Vector256<uint>.Zero;
            int budget = VectorsPerDrain;
            while (budget >= 2 && length - offset >= 2 * vectorBytes)
            {
                Vector256<uint> a = Vector256.LoadUnsafe(ref start, (nuint)offset).AsUInt32();
                Vector256<uint> b = Vector256.LoadUnsafe(ref start, (nuint)(offset + vectorBytes)).AsUInt32();
                acc0 += (a & lowMask) + (a >>> 16);
                acc1 += (b & lowMask) + (b >>> 16);
                offset += 2 * vectorBytes;
                budget -= 2;
            }

            if (budget >= 1 && length - offset >= vectorBytes)
            {
                Vector256<uint> a = Vector256.LoadUnsafe(ref start, (nuint)offset).AsUInt32();
                acc0 += (a & lowMask) + (a >>> 16);
                offset += vectorBytes;
            }

            total += DrainLanes(acc0) + DrainLanes(acc1);
        }

        return SumTail(ref start, offset, length, total);
    }

    /// <summary>The little-endian-word sum using 128-bit vectors for the bulk.</summary>
    internal static ulong SumVector128(ref byte start, int length)
    {
        ulong total = 0;
        int offset = 0;
        Vector128<uint> lowMask = Vector128.Create(0xFFFFu);
        int vectorBytes = Vector128<byte>.Count;
        while (length - offset >= vectorBytes)
        {
            Vector128<uint> acc0 = Vector128<uint>.Zero;
            Vector128<uint> acc1 = Vector128<uint>.Zero;
            int budget = VectorsPerDrain;
            while (budget >= 2 && length - offset >= 2 * vectorBytes)
            {
                Vector128<uint> a = Vector128.LoadUnsafe(ref start, (nuint)offset).AsUInt32();
                Vector128<uint> b = Vector128.LoadUnsafe(ref start, (nuint)(offset + vectorBytes)).AsUInt32();
                acc0 += (a & lowMask) + (a >>> 16);
                acc1 += (b & lowMask) + (b >>> 16);
                offset += 2 * vectorBytes;
                budget -= 2;
            }

            if (budget >= 1 && length - offset >= vectorBytes)
            {
                Vector128<uint> a = Vector128.LoadUnsafe(ref start, (nuint)offset).AsUInt32();
                acc0 += (a & lowMask) + (a >>> 16);
                offset += vectorBytes;
            }

            total += DrainLanes(acc0) + DrainLanes(acc1);
        }

        return SumTail(ref start, offset, length, total);
    }

    /// <summary>The little-endian-word sum 8 bytes at a time, with no SIMD (the fallback and the tails).</summary>
    internal static ulong SumWords64(ref byte start, int length, ulong initial) => SumTail(ref start, 0, length, initial);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong DrainLanes(Vector512<uint> acc) =>
        Vector512.Sum(Vector512.WidenLower(acc)) + Vector512.Sum(Vector512.WidenUpper(acc));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong DrainLanes(Vector256<uint> acc) =>
        Vector256.Sum(Vector256.WidenLower(acc)) + Vector256.Sum(Vector256.WidenUpper(acc));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong DrainLanes(Vector128<uint> acc) =>
        Vector128.Sum(Vector128.WidenLower(acc)) + Vector128.Sum(Vector128.WidenUpper(acc));

    // Adds the bytes from offset to length to an accumulator of little-endian words. Each 64-bit addition keeps
    // its carry (end-around), which is exact for one's-complement arithmetic. The accumulator may hold a
    // value far above 16 bits; callers fold it.
    private static ulong SumTail(ref byte start, int offset, int length, ulong accumulator)
    {
        // Fold the incoming total once so the 64-bit additions below start with headroom.
        ulong sum = Fold(accumulator);
        while (length - offset >= 8)
        {
            ulong word = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, offset));
            sum += word;
            if (sum < word)
            {
                sum++;
            }

            offset += 8;
        }

        // Folding first leaves room for the last few small additions without another carry check.
        ulong small = Fold(sum);
        if (length - offset >= 4)
        {
            small += Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, offset));
            offset += 4;
        }

        if (length - offset >= 2)
        {
            small += Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref start, offset));
            offset += 2;
        }

        if (offset < length)
        {
            // The odd byte sits at an even offset: in big-endian terms the high byte of a zero-padded word,
            // which is the low byte of a native little-endian word (the high byte on a big-endian machine).
            small += BitConverter.IsLittleEndian ? Unsafe.Add(ref start, offset) : (uint)Unsafe.Add(ref start, offset) << 8;
        }

        return small;
    }
}
