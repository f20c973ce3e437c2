using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace RouterHost.Crypto.Internal;

/// <summary>
/// HChaCha20 (draft-irtf-cfrg-xchacha-03 §2.2): the ChaCha20 block function without the final addition,
/// keeping state words 0..3 and 12..15 as a 32-byte subkey. Neither OpenSSL 3.0 nor our choice of AEAD
/// backend exposes it, and it runs once per XChaCha20-Poly1305 message (cookies), so it is written here.
/// </summary>
internal static class HChaCha20
{
    internal const int KeySize = 32;
    internal const int NonceSize = 16;
    internal const int OutputSize = 32;

    /// <summary>Derives the subkey. Assumes 32-byte key, 16-byte nonce, 32-byte output.</summary>
    internal static void DeriveSubkey(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, Span<byte> subkey)
    {
        uint x0 = 0x61707865, x1 = 0x3320646e, x2 = 0x79622d32, x3 = 0x6b206574;
        uint x4 = BinaryPrimitives.ReadUInt32LittleEndian(key);
        uint x5 = BinaryPrimitives.ReadUInt32LittleEndian(key[4..]);
        uint x6 = BinaryPrimitives.ReadUInt32LittleEndian(key[8..]);
        uint x7 = BinaryPrimitives.ReadUInt32LittleEndian(key[12..]);
        uint x8 = BinaryPrimitives.ReadUInt32LittleEndian(key[16..]);
        uint x9 = BinaryPrimitives.ReadUInt32LittleEndian(key[20..]);
        uint x10 = BinaryPrimitives.ReadUInt32LittleEndian(key[24..]);
        uint x11 = BinaryPrimitives.ReadUInt32LittleEndian(key[28..]);
        uint x12 = BinaryPrimitives.ReadUInt32LittleEndian(nonce);
        uint x13 = BinaryPrimitives.ReadUInt32LittleEndian(nonce[4..]);
        uint x14 = BinaryPrimitives.ReadUInt32LittleEndian(nonce[8..]);
        uint x15 = BinaryPrimitives.ReadUInt32LittleEndian(nonce[12..]);

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

        BinaryPrimitives.WriteUInt32LittleEndian(subkey, x0);
        BinaryPrimitives.WriteUInt32LittleEndian(subkey[4..], x1);
        BinaryPrimitives.WriteUInt32LittleEndian(subkey[8..], x2);
        BinaryPrimitives.WriteUInt32LittleEndian(subkey[12..], x3);
        BinaryPrimitives.WriteUInt32LittleEndian(subkey[16..], x12);
        BinaryPrimitives.WriteUInt32LittleEndian(subkey[20..], x13);
        BinaryPrimitives.WriteUInt32LittleEndian(subkey[24..], x14);
        BinaryPrimitives.WriteUInt32LittleEndian(subkey[28..], x15);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void QuarterRound(ref uint a, ref uint b, ref uint c, ref uint d)
    {
        a += b; d = BitOperations.RotateLeft(d ^ a, 16);
        c += d; b = BitOperations.RotateLeft(b ^ c, 12);
        a += b; d = BitOperations.RotateLeft(d ^ a, 8);
        c += d; b = BitOperations.RotateLeft(b ^ c, 7);
    }
}
