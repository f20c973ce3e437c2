using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;
using RouterHost.Crypto.Internal;

namespace RouterHost.Crypto;

/// <summary>
/// BLAKE2s (RFC 7693) in managed code: 1..32-byte output, optional 1..32-byte key (keyed mode = the MAC WireGuard
/// uses for mac1/mac2 with a 16-byte output). libsodium (1.0.22, and NSec) has no BLAKE2s; OpenSSL 3.0 has it (BLAKE2S-256,
/// BLAKE2SMAC, size 16 works) but measured slower at 32, 116 and 1420 bytes (provider-layer calls per message;
/// see docs/architecture/crypto.md) and needs a native context per thread. A value type: incremental use is <c>new Blake2s(size, key)</c>, <c>Update</c>
/// as often as needed, <c>Finish</c>; <c>Finish</c> wipes the state. No allocations. Not thread-safe (it is a value).
/// </summary>
[StructLayout(LayoutKind.Auto)]
public struct Blake2s
{
    /// <summary>Largest output size in bytes.</summary>
    public const int MaxHashSize = 32;

    /// <summary>Largest key size in bytes.</summary>
    public const int MaxKeySize = 32;

    /// <summary>Block size in bytes (what HMAC pads keys to).</summary>
    public const int BlockSize = 64;

    private const uint IV0 = 0x6A09E667, IV1 = 0xBB67AE85, IV2 = 0x3C6EF372, IV3 = 0xA54FF53A;
    private const uint IV4 = 0x510E527F, IV5 = 0x9B05688C, IV6 = 0x1F83D9AB, IV7 = 0x5BE0CD19;

    private ChainingValue _h;
    private Block _buffer;
    private ulong _length;
    private int _bufferLength;
    private int _hashSize;

    /// <summary>Starts an unkeyed hash with a <paramref name="hashSize"/>-byte output (1..32).</summary>
    public Blake2s(int hashSize)
        : this(hashSize, ReadOnlySpan<byte>.Empty)
    {
    }

    /// <summary>Starts a keyed hash (a MAC) with a <paramref name="hashSize"/>-byte output; an empty key means unkeyed.</summary>
    public Blake2s(int hashSize, ReadOnlySpan<byte> key)
    {
        if (hashSize is < 1 or > MaxHashSize)
        {
            throw new ArgumentOutOfRangeException(nameof(hashSize), hashSize, "Must be between 1 and 32.");
        }

        if (key.Length > MaxKeySize)
        {
            ThrowHelper.ArgumentLengthRange(nameof(key), 0, MaxKeySize);
        }

        InitializeCore(hashSize, key);
    }

    /// <summary>The output size chosen at construction; 0 for a default (unusable) value.</summary>
    public readonly int HashSize => _hashSize;

    /// <summary>Hashes <paramref name="data"/> into <paramref name="hash"/>, whose length (1..32) is the output size.</summary>
    public static void Hash(ReadOnlySpan<byte> data, Span<byte> hash)
    {
        Blake2s state = new(hash.Length);
        state.UpdateCore(data);
        state.FinishCore(hash);
    }

    /// <summary>Hashes the concatenation of <paramref name="first"/> and <paramref name="second"/> (WireGuard's HASH(a || b)).</summary>
    public static void Hash(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, Span<byte> hash)
    {
        Blake2s state = new(hash.Length);
        state.UpdateCore(first);
        state.UpdateCore(second);
        state.FinishCore(hash);
    }

    /// <summary>Keyed BLAKE2s (WireGuard's MAC with a 16-byte <paramref name="mac"/>): key 1..32 bytes, output 1..32 bytes.</summary>
    public static void Mac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> mac)
    {
        if (key.Length is < 1 or > MaxKeySize)
        {
            ThrowHelper.ArgumentLengthRange(nameof(key), 1, MaxKeySize);
        }

        Blake2s state = new(mac.Length, key);
        state.UpdateCore(data);
        state.FinishCore(mac);
    }

    /// <summary>Absorbs more input.</summary>
    public void Update(ReadOnlySpan<byte> data)
    {
        if (_hashSize == 0)
        {
            ThrowHelper.Uninitialized();
        }

        UpdateCore(data);
    }

    /// <summary>Writes the digest (exactly <see cref="HashSize"/> bytes) and wipes the state.</summary>
    public void Finish(Span<byte> hash)
    {
        if (_hashSize == 0)
        {
            ThrowHelper.Uninitialized();
        }

        if (hash.Length != _hashSize)
        {
            ThrowHelper.ArgumentLength(nameof(hash), _hashSize);
        }

        FinishCore(hash);
    }

    internal void InitializeCore(int hashSize, ReadOnlySpan<byte> key)
    {
        _h[0] = IV0 ^ 0x01010000u ^ ((uint)key.Length << 8) ^ (uint)hashSize;
        _h[1] = IV1;
        _h[2] = IV2;
        _h[3] = IV3;
        _h[4] = IV4;
        _h[5] = IV5;
        _h[6] = IV6;
        _h[7] = IV7;
        _length = 0;
        _hashSize = hashSize;
        Span<byte> buffer = _buffer;
        buffer.Clear();
        _bufferLength = 0;
        if (!key.IsEmpty)
        {
            // The key, zero-padded, is the first block.
            key.CopyTo(buffer);
            _bufferLength = BlockSize;
        }
    }

    internal void UpdateCore(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        // The last block is compressed only in Finish (it carries the final flag), so a full buffer waits
        // until more input arrives.
        Span<byte> buffer = _buffer;
        int free = BlockSize - _bufferLength;
        if (data.Length > free)
        {
            data[..free].CopyTo(buffer[_bufferLength..]);
            _length += BlockSize;
            Compress(ref _h, buffer, _length, final: false);
            _bufferLength = 0;
            data = data[free..];
            while (data.Length > BlockSize)
            {
                _length += BlockSize;
                Compress(ref _h, data[..BlockSize], _length, final: false);
                data = data[BlockSize..];
            }
        }

        data.CopyTo(buffer[_bufferLength..]);
        _bufferLength += data.Length;
    }

    internal void FinishCore(Span<byte> hash)
    {
        Span<byte> buffer = _buffer;
        _length += (ulong)_bufferLength;
        buffer[_bufferLength..].Clear();
        Compress(ref _h, buffer, _length, final: true);

        Span<byte> full = stackalloc byte[MaxHashSize];
        for (int i = 0; i < 8; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(full[(4 * i)..], _h[i]);
        }

        full[..hash.Length].CopyTo(hash);
        CryptographicOperations.ZeroMemory(full);
        this = default;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Compress(ref ChainingValue h, ReadOnlySpan<byte> block, ulong length, bool final)
    {
        // Byte shuffles make the 16- and 8-bit rotations one instruction; without them the scalar form wins.
        if (Ssse3.IsSupported || AdvSimd.IsSupported)
        {
            CompressVector(ref h, block, length, final);
        }
        else
        {
            CompressScalar(ref h, block, length, final);
        }
    }

    /// <summary>The compression function on 16 scalar words (RFC 7693 §3.2).</summary>
    [SkipLocalsInit]
    internal static void CompressScalar(ref ChainingValue h, ReadOnlySpan<byte> block, ulong length, bool final)
    {
        uint m0 = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(0, 4));
        uint m1 = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(4, 4));
        uint m2 = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(8, 4));
        uint m3 = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(12, 4));
        uint m4 = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(16, 4));
        uint m5 = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(20, 4));
        uint m6 = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(24, 4));
        uint m7 = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(28, 4));
        uint m8 = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(32, 4));
        uint m9 = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(36, 4));
        uint m10 = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(40, 4));
        uint m11 = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(44, 4));
        uint m12 = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(48, 4));
        uint m13 = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(52, 4));
        uint m14 = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(56, 4));
        uint m15 = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(60, 4));

        uint v0 = h[0], v1 = h[1], v2 = h[2], v3 = h[3], v4 = h[4], v5 = h[5], v6 = h[6], v7 = h[7];
        uint v8 = IV0, v9 = IV1, v10 = IV2, v11 = IV3;
        uint v12 = IV4 ^ (uint)length;
        uint v13 = IV5 ^ (uint)(length >> 32);
        uint v14 = final ? ~IV6 : IV6;
        uint v15 = IV7;

        // Round 0
        v0 += v4 + m0; v12 = BitOperations.RotateRight(v12 ^ v0, 16); v8 += v12; v4 = BitOperations.RotateRight(v4 ^ v8, 12);
        v0 += v4 + m1; v12 = BitOperations.RotateRight(v12 ^ v0, 8); v8 += v12; v4 = BitOperations.RotateRight(v4 ^ v8, 7);
        v1 += v5 + m2; v13 = BitOperations.RotateRight(v13 ^ v1, 16); v9 += v13; v5 = BitOperations.RotateRight(v5 ^ v9, 12);
        v1 += v5 + m3; v13 = BitOperations.RotateRight(v13 ^ v1, 8); v9 += v13; v5 = BitOperations.RotateRight(v5 ^ v9, 7);
        v2 += v6 + m4; v14 = BitOperations.RotateRight(v14 ^ v2, 16); v10 += v14; v6 = BitOperations.RotateRight(v6 ^ v10, 12);
        v2 += v6 + m5; v14 = BitOperations.RotateRight(v14 ^ v2, 8); v10 += v14; v6 = BitOperations.RotateRight(v6 ^ v10, 7);
        v3 += v7 + m6; v15 = BitOperations.RotateRight(v15 ^ v3, 16); v11 += v15; v7 = BitOperations.RotateRight(v7 ^ v11, 12);
        v3 += v7 + m7; v15 = BitOperations.RotateRight(v15 ^ v3, 8); v11 += v15; v7 = BitOperations.RotateRight(v7 ^ v11, 7);
        v0 += v5 + m8; v15 = BitOperations.RotateRight(v15 ^ v0, 16); v10 += v15; v5 = BitOperations.RotateRight(v5 ^ v10, 12);
        v0 += v5 + m9; v15 = BitOperations.RotateRight(v15 ^ v0, 8); v10 += v15; v5 = BitOperations.RotateRight(v5 ^ v10, 7);
        v1 += v6 + m10; v12 = BitOperations.RotateRight(v12 ^ v1, 16); v11 += v12; v6 = BitOperations.RotateRight(v6 ^ v11, 12);
        v1 += v6 + m11; v12 = BitOperations.RotateRight(v12 ^ v1, 8); v11 += v12; v6 = BitOperations.RotateRight(v6 ^ v11, 7);
        v2 += v7 + m12; v13 = BitOperations.RotateRight(v13 ^ v2, 16); v8 += v13; v7 = BitOperations.RotateRight(v7 ^ v8, 12);
        v2 += v7 + m13; v13 = BitOperations.RotateRight(v13 ^ v2, 8); v8 += v13; v7 = BitOperations.RotateRight(v7 ^ v8, 7);
        v3 += v4 + m14; v14 = BitOperations.RotateRight(v14 ^ v3, 16); v9 += v14; v4 = BitOperations.RotateRight(v4 ^ v9, 12);
        v3 += v4 + m15; v14 = BitOperations.RotateRight(v14 ^ v3, 8); v9 += v14; v4 = BitOperations.RotateRight(v4 ^ v9, 7);
        // Round 1
        v0 += v4 + m14; v12 = BitOperations.RotateRight(v12 ^ v0, 16); v8 += v12; v4 = BitOperations.RotateRight(v4 ^ v8, 12);
        v0 += v4 + m10; v12 = BitOperations.RotateRight(v12 ^ v0, 8); v8 += v12; v4 = BitOperations.RotateRight(v4 ^ v8, 7);
        v1 += v5 + m4; v13 = BitOperations.RotateRight(v13 ^ v1, 16); v9 += v13; v5 = BitOperations.RotateRight(v5 ^ v9, 12);
        v1 += v5 + m8; v13 = BitOperations.RotateRight(v13 ^ v1, 8); v9 += v13; v5 = BitOperations.RotateRight(v5 ^ v9, 7);
        v2 += v6 + m9; v14 = BitOperations.RotateRight(v14 ^ v2, 16); v10 += v14; v6 = BitOperations.RotateRight(v6 ^ v10, 12);
        v2 += v6 + m15; v14 = BitOperations.RotateRight(v14 ^ v2, 8); v10 += v14; v6 = BitOperations.RotateRight(v6 ^ v10, 7);
        v3 += v7 + m13; v15 = BitOperations.RotateRight(v15 ^ v3, 16); v11 += v15; v7 = BitOperations.RotateRight(v7 ^ v11, 12);
        v3 += v7 + m6; v15 = BitOperations.RotateRight(v15 ^ v3, 8); v11 += v15; v7 = BitOperations.RotateRight(v7 ^ v11, 7);
        v0 += v5 + m1; v15 = BitOperations.RotateRight(v15 ^ v0, 16); v10 += v15; v5 = BitOperations.RotateRight(v5 ^ v10, 12);
        v0 += v5 + m12; v15 = BitOperations.RotateRight(v15 ^ v0, 8); v10 += v15; v5 = BitOperations.RotateRight(v5 ^ v10, 7);
        v1 += v6 + m0; v12 = BitOperations.RotateRight(v12 ^ v1, 16); v11 += v12; v6 = BitOperations.RotateRight(v6 ^ v11, 12);
        v1 += v6 + m2; v12 = BitOperations.RotateRight(v12 ^ v1, 8); v11 += v12; v6 = BitOperations.RotateRight(v6 ^ v11, 7);
        v2 += v7 + m11; v13 = BitOperations.RotateRight(v13 ^ v2, 16); v8 += v13; v7 = BitOperations.RotateRight(v7 ^ v8, 12);
        v2 += v7 + m7; v13 = BitOperations.RotateRight(v13 ^ v2, 8); v8 += v13; v7 = BitOperations.RotateRight(v7 ^ v8, 7);
        v3 += v4 + m5; v14 = BitOperations.RotateRight(v14 ^ v3, 16); v9 += v14; v4 = BitOperations.RotateRight(v4 ^ v9, 12);
        v3 += v4 + m3; v14 = BitOperations.RotateRight(v14 ^ v3, 8); v9 += v14; v4 = BitOperations.RotateRight(v4 ^ v9, 7);
        // Round 2
        v0 += v4 + m11; v12 = BitOperations.RotateRight(v12 ^ v0, 16); v8 += v12; v4 = BitOperations.RotateRight(v4 ^ v8, 12);
        v0 += v4 + m8; v12 = BitOperations.RotateRight(v12 ^ v0, 8); v8 += v12; v4 = BitOperations.RotateRight(v4 ^ v8, 7);
        v1 += v5 + m12; v13 = BitOperations.RotateRight(v13 ^ v1, 16); v9 += v13; v5 = BitOperations.RotateRight(v5 ^ v9, 12);
        v1 += v5 + m0; v13 = BitOperations.RotateRight(v13 ^ v1, 8); v9 += v13; v5 = BitOperations.RotateRight(v5 ^ v9, 7);
        v2 += v6 + m5; v14 = BitOperations.RotateRight(v14 ^ v2, 16); v10 += v14; v6 = BitOperations.RotateRight(v6 ^ v10, 12);
        v2 += v6 + m2; v14 = BitOperations.RotateRight(v14 ^ v2, 8); v10 += v14; v6 = BitOperations.RotateRight(v6 ^ v10, 7);
        v3 += v7 + m15; v15 = BitOperations.RotateRight(v15 ^ v3, 16); v11 += v15; v7 = BitOperations.RotateRight(v7 ^ v11, 12);
        v3 += v7 + m13; v15 = BitOperations.RotateRight(v15 ^ v3, 8); v11 += v15; v7 = BitOperations.RotateRight(v7 ^ v11, 7);
        v0 += v5 + m10; v15 = BitOperations.RotateRight(v15 ^ v0, 16); v10 += v15; v5 = BitOperations.RotateRight(v5 ^ v10, 12);
        v0 += v5 + m14; v15 = BitOperations.RotateRight(v15 ^ v0, 8); v10 += v15; v5 = BitOperations.RotateRight(v5 ^ v10, 7);
        v1 += v6 + m3; v12 = BitOperations.RotateRight(v12 ^ v1, 16); v11 += v12; v6 = BitOperations.RotateRight(v6 ^ v11, 12);
        v1 += v6 + m6; v12 = BitOperations.RotateRight(v12 ^ v1, 8); v11 += v12; v6 = BitOperations.RotateRight(v6 ^ v11, 7);
        v2 += v7 + m7; v13 = BitOperations.RotateRight(v13 ^ v2, 16); v8 += v13; v7 = BitOperations.RotateRight(v7 ^ v8, 12);
        v2 += v7 + m1; v13 = BitOperations.RotateRight(v13 ^ v2, 8); v8 += v13; v7 = BitOperations.RotateRight(v7 ^ v8, 7);
        v3 += v4 + m9; v14 = BitOperations.RotateRight(v14 ^ v3, 16); v9 += v14; v4 = BitOperations.RotateRight(v4 ^ v9, 12);
        v3 += v4 + m4; v14 = BitOperations.RotateRight(v14 ^ v3, 8); v9 += v14; v4 = BitOperations.RotateRight(v4 ^ v9, 7);
        // Round 3
        v0 += v4 + m7; v12 = BitOperations.RotateRight(v12 ^ v0, 16); v8 += v12; v4 = BitOperations.RotateRight(v4 ^ v8, 12);
        v0 += v4 + m9; v12 = BitOperations.RotateRight(v12 ^ v0, 8); v8 += v12; v4 = BitOperations.RotateRight(v4 ^ v8, 7);
        v1 += v5 + m3; v13 = BitOperations.RotateRight(v13 ^ v1, 16); v9 += v13; v5 = BitOperations.RotateRight(v5 ^ v9, 12);
        v1 += v5 + m1; v13 = BitOperations.RotateRight(v13 ^ v1, 8); v9 += v13; v5 = BitOperations.RotateRight(v5 ^ v9, 7);
        v2 += v6 + m13; v14 = BitOperations.RotateRight(v14 ^ v2, 16); v10 += v14; v6 = BitOperations.RotateRight(v6 ^ v10, 12);
        v2 += v6 + m12; v14 = BitOperations.RotateRight(v14 ^ v2, 8); v10 += v14; v6 = BitOperations.RotateRight(v6 ^ v10, 7);
        v3 += v7 + m11; v15 = BitOperations.RotateRight(v15 ^ v3, 16); v11 += v15; v7 = BitOperations.RotateRight(v7 ^ v11, 12);
        v3 += v7 + m14; v15 = BitOperations.RotateRight(v15 ^ v3, 8); v11 += v15; v7 = BitOperations.RotateRight(v7 ^ v11, 7);
        v0 += v5 + m2; v15 = BitOperations.RotateRight(v15 ^ v0, 16); v10 += v15; v5 = BitOperations.RotateRight(v5 ^ v10, 12);
        v0 += v5 + m6; v15 = BitOperations.RotateRight(v15 ^ v0, 8); v10 += v15; v5 = BitOperations.RotateRight(v5 ^ v10, 7);
        v1 += v6 + m5; v12 = BitOperations.RotateRight(v12 ^ v1, 16); v11 += v12; v6 = BitOperations.RotateRight(v6 ^ v11, 12);
        v1 += v6 + m10; v12 = BitOperations.RotateRight(v12 ^ v1, 8); v11 += v12; v6 = BitOperations.RotateRight(v6 ^ v11, 7);
        v2 += v7 + m4; v13 = BitOperations.RotateRight(v13 ^ v2, 16); v8 += v13; v7 = BitOperations.RotateRight(v7 ^ v8, 12);
        v2 += v7 + m0; v13 = BitOperations.RotateRight(v13 ^ v2, 8); v8 += v13; v7 = BitOperations.RotateRight(v7 ^ v8, 7);
        v3 += v4 + m15; v14 = BitOperations.RotateRight(v14 ^ v3, 16); v9 += v14; v4 = BitOperations.RotateRight(v4 ^ v9, 12);
        v3 += v4 + m8; v14 = BitOperations.RotateRight(v14 ^ v3, 8); v9 += v14; v4 = BitOperations.RotateRight(v4 ^ v9, 7);
        // Round 4
        v0 += v4 + m9; v12 = BitOperations.RotateRight(v12 ^ v0, 16); v8 += v12; v4 = BitOperations.RotateRight(v4 ^ v8, 12);
        v0 += v4 + m0; v12 = BitOperations.RotateRight(v12 ^ v0, 8); v8 += v12; v4 = BitOperations.RotateRight(v4 ^ v8, 7);
        v1 += v5 + m5; v13 = BitOperations.RotateRight(v13 ^ v1, 16); v9 += v13; v5 = BitOperations.RotateRight(v5 ^ v9, 12);
        v1 += v5 + m7; v13 = BitOperations.RotateRight(v13 ^ v1, 8); v9 += v13; v5 = BitOperations.RotateRight(v5 ^ v9, 7);
        v2 += v6 + m2; v14 = BitOperations.RotateRight(v14 ^ v2, 16); v10 += v14; v6 = BitOperations.RotateRight(v6 ^ v10, 12);
        v2 += v6 + m4; v14 = BitOperations.RotateRight(v14 ^ v2, 8); v10 += v14; v6 = BitOperations.RotateRight(v6 ^ v10, 7);
        v3 += v7 + m10; v15 = BitOperations.RotateRight(v15 ^ v3, 16); v11 += v15; v7 = BitOperations.RotateRight(v7 ^ v11, 12);
        v3 += v7 + m15; v15 = BitOperations.RotateRight(v15 ^ v3, 8); v11 += v15; v7 = BitOperations.RotateRight(v7 ^ v11, 7);
        v0 += v5 + m14; v15 = BitOperations.RotateRight(v15 ^ v0, 16); v10 += v15; v5 = BitOperations.RotateRight(v5 ^ v10, 12);
        v0 += v5 + m1; v15 = BitOperations.RotateRight(v15 ^ v0, 8); v10 += v15; v5 = BitOperations.RotateRight(v5 ^ v10, 7);
        v1 += v6 + m11; v12 = BitOperations.RotateRight(v12 ^ v1, 16); v11 += v12; v6 = BitOperations.RotateRight(v6 ^ v11, 12);
        v1 += v6 + m12; v12 = BitOperations.RotateRight(v12 ^ v1, 8); v11 += v12; v6 = BitOperations.RotateRight(v6 ^ v11, 7);
        v2 += v7 + m6; v13 = BitOperations.RotateRight(v13 ^ v2, 16); v8 += v13; v7 = BitOperations.RotateRight(v7 ^ v8, 12);
        v2 += v7 + m8; v13 = BitOperations.RotateRight(v13 ^ v2, 8); v8 += v13; v7 = BitOperations.RotateRight(v7 ^ v8, 7);
        v3 += v4 + m3; v14 = BitOperations.RotateRight(v14 ^ v3, 16); v9 += v14; v4 = BitOperations.RotateRight(v4 ^ v9, 12);
        v3 += v4 + m13; v14 = BitOperations.RotateRight(v14 ^ v3, 8); v9 += v14; v4 = BitOperations.RotateRight(v4 ^ v9, 7);
        // Round 5
        v0 += v4 + m2; v12 = BitOperations.RotateRight(v12 ^ v0, 16); v8 += v12; v4 = BitOperations.RotateRight(v4 ^ v8, 12);
        v0 += v4 + m12; v12 = BitOperations.RotateRight(v12 ^ v0, 8); v8 += v12; v4 = BitOperations.RotateRight(v4 ^ v8, 7);
        v1 += v5 + m6; v13 = BitOperations.RotateRight(v13 ^ v1, 16); v9 += v13; v5 = BitOperations.RotateRight(v5 ^ v9, 12);
        v1 += v5 + m10; v13 = BitOperations.RotateRight(v13 ^ v1, 8); v9 += v13; v5 = BitOperations.RotateRight(v5 ^ v9, 7);
        v2 += v6 + m0; v14 = BitOperations.RotateRight(v14 ^ v2, 16); v10 += v14; v6 = BitOperations.RotateRight(v6 ^ v10, 12);
        v2 += v6 + m11; v14 = BitOperations.RotateRight(v14 ^ v2, 8); v10 += v14; v6 = BitOperations.RotateRight(v6 ^ v10, 7);
        v3 += v7 + m8; v15 = BitOperations.RotateRight(v15 ^ v3, 16); v11 += v15; v7 = BitOperations.RotateRight(v7 ^ v11, 12);
        v3 += v7 + m3; v15 = BitOperations.RotateRight(v15 ^ v3, 8); v11 += v15; v7 = BitOperations.RotateRight(v7 ^ v11, 7);
        v0 += v5 + m4; v15 = BitOperations.RotateRight(v15 ^ v0, 16); v10 += v15; v5 = BitOperations.RotateRight(v5 ^ v10, 12);
        v0 += v5 + m13; v15 = BitOperations.RotateRight(v15 ^ v0, 8); v10 += v15; v5 = BitOperations.RotateRight(v5 ^ v10, 7);
        v1 += v6 + m7; v12 = BitOperations.RotateRight(v12 ^ v1, 16); v11 += v12; v6 = BitOperations.RotateRight(v6 ^ v11, 12);
        v1 += v6 + m5; v12 = BitOperations.RotateRight(v12 ^ v1, 8); v11 += v12; v6 = BitOperations.RotateRight(v6 ^ v11, 7);
        v2 += v7 + m15; v13 = BitOperations.RotateRight(v13 ^ v2, 16); v8 += v13; v7 = BitOperations.RotateRight(v7 ^ v8, 12);
        v2 += v7 + m14; v13 = BitOperations.RotateRight(v13 ^ v2, 8); v8 += v13; v7 = BitOperations.RotateRight(v7 ^ v8, 7);
        v3 += v4 + m1; v14 = BitOperations.RotateRight(v14 ^ v3, 16); v9 += v14; v4 = BitOperations.RotateRight(v4 ^ v9, 12);
        v3 += v4 + m9; v14 = BitOperations.RotateRight(v14 ^ v3, 8); v9 += v14; v4 = BitOperations.RotateRight(v4 ^ v9, 7);
        // Round 6
        v0 += v4 + m12; v12 = BitOperations.RotateRight(v12 ^ v0, 16); v8 += v12; v4 = BitOperations.RotateRight(v4 ^ v8, 12);
        v0 += v4 + m5; v12 = BitOperations.RotateRight(v12 ^ v0, 8); v8 += v12; v4 = BitOperations.RotateRight(v4 ^ v8, 7);
        v1 += v5 + m1; v13 = BitOperations.RotateRight(v13 ^ v1, 16); v9 += v13; v5 = BitOperations.RotateRight(v5 ^ v9, 12);
        v1 += v5 + m15; v13 = BitOperations.RotateRight(v13 ^ v1, 8); v9 += v13; v5 = BitOperations.RotateRight(v5 ^ v9, 7);
        v2 += v6 + m14; v14 = BitOperations.RotateRight(v14 ^ v2, 16); v10 += v14; v6 = BitOperations.RotateRight(v6 ^ v10, 12);
        v2 += v6 + m13; v14 = BitOperations.RotateRight(v14 ^ v2, 8); v10 += v14; v6 = BitOperations.RotateRight(v6 ^ v10, 7);
        v3 += v7 + m4; v15 = BitOperations.RotateRight(v15 ^ v3, 16); v11 += v15; v7 = BitOperations.RotateRight(v7 ^ v11, 12);
        v3 += v7 + m10; v15 = BitOperations.RotateRight(v15 ^ v3, 8); v11 += v15; v7 = BitOperations.RotateRight(v7 ^ v11, 7);
        v0 += v5 + m0; v15 = BitOperations.RotateRight(v15 ^ v0, 16); v10 += v15; v5 = BitOperations.RotateRight(v5 ^ v10, 12);
        v0 += v5 + m7; v15 = BitOperations.RotateRight(v15 ^ v0, 8); v10 += v15; v5 = BitOperations.RotateRight(v5 ^ v10, 7);
        v1 += v6 + m6; v12 = BitOperations.RotateRight(v12 ^ v1, 16); v11 += v12; v6 = BitOperations.RotateRight(v6 ^ v11, 12);
        v1 += v6 + m3; v12 = BitOperations.RotateRight(v12 ^ v1, 8); v11 += v12; v6 = BitOperations.RotateRight(v6 ^ v11, 7);
        v2 += v7 + m9; v13 = BitOperations.RotateRight(v13 ^ v2, 16); v8 += v13; v7 = BitOperations.RotateRight(v7 ^ v8, 12);
        v2 += v7 + m2; v13 = BitOperations.RotateRight(v13 ^ v2, 8); v8 += v13; v7 = BitOperations.RotateRight(v7 ^ v8, 7);
        v3 += v4 + m8; v14 = BitOperations.RotateRight(v14 ^ v3, 16); v9 += v14; v4 = BitOperations.RotateRight(v4 ^ v9, 12);
        v3 += v4 + m11; v14 = BitOperations.RotateRight(v14 ^ v3, 8); v9 += v14; v4 = BitOperations.RotateRight(v4 ^ v9, 7);
        // Round 7
        v0 += v4 + m13; v12 = BitOperations.RotateRight(v12 ^ v0, 16); v8 += v12; v4 = BitOperations.RotateRight(v4 ^ v8, 12);
        v0 += v4 + m11; v12 = BitOperations.RotateRight(v12 ^ v0, 8); v8 += v12; v4 = BitOperations.RotateRight(v4 ^ v8, 7);
        v1 += v5 + m7; v13 = BitOperations.RotateRight(v13 ^ v1, 16); v9 += v13; v5 = BitOperations.RotateRight(v5 ^ v9, 12);
        v1 += v5 + m14; v13 = BitOperations.RotateRight(v13 ^ v1, 8); v9 += v13; v5 = BitOperations.RotateRight(v5 ^ v9, 7);
        v2 += v6 + m12; v14 = BitOperations.RotateRight(v14 ^ v2, 16); v10 += v14; v6 = BitOperations.RotateRight(v6 ^ v10, 12);
        v2 += v6 + m1; v14 = BitOperations.RotateRight(v14 ^ v2, 8); v10 += v14; v6 = BitOperations.RotateRight(v6 ^ v10, 7);
        v3 += v7 + m3; v15 = BitOperations.RotateRight(v15 ^ v3, 16); v11 += v15; v7 = BitOperations.RotateRight(v7 ^ v11, 12);
        v3 += v7 + m9; v15 = BitOperations.RotateRight(v15 ^ v3, 8); v11 += v15; v7 = BitOperations.RotateRight(v7 ^ v11, 7);
        v0 += v5 + m5; v15 = BitOperations.RotateRight(v15 ^ v0, 16); v10 += v15; v5 = BitOperations.RotateRight(v5 ^ v10, 12);
        v0 += v5 + m0; v15 = BitOperations.RotateRight(v15 ^ v0, 8); v10 += v15; v5 = BitOperations.RotateRight(v5 ^ v10, 7);
        v1 += v6 + m15; v12 = BitOperations.RotateRight(v12 ^ v1, 16); v11 += v12; v6 = BitOperations.RotateRight(v6 ^ v11, 12);
        v1 += v6 + m4; v12 = BitOperations.RotateRight(v12 ^ v1, 8); v11 += v12; v6 = BitOperations.RotateRight(v6 ^ v11, 7);
        v2 += v7 + m8; v13 = BitOperations.RotateRight(v13 ^ v2, 16); v8 += v13; v7 = BitOperations.RotateRight(v7 ^ v8, 12);
        v2 += v7 + m6; v13 = BitOperations.RotateRight(v13 ^ v2, 8); v8 += v13; v7 = BitOperations.RotateRight(v7 ^ v8, 7);
        v3 += v4 + m2; v14 = BitOperations.RotateRight(v14 ^ v3, 16); v9 += v14; v4 = BitOperations.RotateRight(v4 ^ v9, 12);
        v3 += v4 + m10; v14 = BitOperations.RotateRight(v14 ^ v3, 8); v9 += v14; v4 = BitOperations.RotateRight(v4 ^ v9, 7);
        // Round 8
        v0 += v4 + m6; v12 = BitOperations.RotateRight(v12 ^ v0, 16); v8 += v12; v4 = BitOperations.RotateRight(v4 ^ v8, 12);
        v0 += v4 + m15; v12 = BitOperations.RotateRight(v12 ^ v0, 8); v8 += v12; v4 = BitOperations.RotateRight(v4 ^ v8, 7);
        v1 += v5 + m14; v13 = BitOperations.RotateRight(v13 ^ v1, 16); v9 += v13; v5 = BitOperations.RotateRight(v5 ^ v9, 12);
        v1 += v5 + m9; v13 = BitOperations.RotateRight(v13 ^ v1, 8); v9 += v13; v5 = BitOperations.RotateRight(v5 ^ v9, 7);
        v2 += v6 + m11; v14 = BitOperations.RotateRight(v14 ^ v2, 16); v10 += v14; v6 = BitOperations.RotateRight(v6 ^ v10, 12);
        v2 += v6 + m3; v14 = BitOperations.RotateRight(v14 ^ v2, 8); v10 += v14; v6 = BitOperations.RotateRight(v6 ^ v10, 7);
        v3 += v7 + m0; v15 = BitOperations.RotateRight(v15 ^ v3, 16); v11 += v15; v7 = BitOperations.RotateRight(v7 ^ v11, 12);
        v3 += v7 + m8; v15 = BitOperations.RotateRight(v15 ^ v3, 8); v11 += v15; v7 = BitOperations.RotateRight(v7 ^ v11, 7);
        v0 += v5 + m12; v15 = BitOperations.RotateRight(v15 ^ v0, 16); v10 += v15; v5 = BitOperations.RotateRight(v5 ^ v10, 12);
        v0 += v5 + m2; v15 = BitOperations.RotateRight(v15 ^ v0, 8); v10 += v15; v5 = BitOperations.RotateRight(v5 ^ v10, 7);
        v1 += v6 + m13; v12 = BitOperations.RotateRight(v12 ^ v1, 16); v11 += v12; v6 = BitOperations.RotateRight(v6 ^ v11, 12);
        v1 += v6 + m7; v12 = BitOperations.RotateRight(v12 ^ v1, 8); v11 += v12; v6 = BitOperations.RotateRight(v6 ^ v11, 7);
        v2 += v7 + m1; v13 = BitOperations.RotateRight(v13 ^ v2, 16); v8 += v13; v7 = BitOperations.RotateRight(v7 ^ v8, 12);
        v2 += v7 + m4; v13 = BitOperations.RotateRight(v13 ^ v2, 8); v8 += v13; v7 = BitOperations.RotateRight(v7 ^ v8, 7);
        v3 += v4 + m10; v14 = BitOperations.RotateRight(v14 ^ v3, 16); v9 += v14; v4 = BitOperations.RotateRight(v4 ^ v9, 12);
        v3 += v4 + m5; v14 = BitOperations.RotateRight(v14 ^ v3, 8); v9 += v14; v4 = BitOperations.RotateRight(v4 ^ v9, 7);
        // Round 9
        v0 += v4 + m10; v12 = BitOperations.RotateRight(v12 ^ v0, 16); v8 += v12; v4 = BitOperations.RotateRight(v4 ^ v8, 12);
        v0 += v4 + m2; v12 = BitOperations.RotateRight(v12 ^ v0, 8); v8 += v12; v4 = BitOperations.RotateRight(v4 ^ v8, 7);
        v1 += v5 + m8; v13 = BitOperations.RotateRight(v13 ^ v1, 16); v9 += v13; v5 = BitOperations.RotateRight(v5 ^ v9, 12);
        v1 += v5 + m4; v13 = BitOperations.RotateRight(v13 ^ v1, 8); v9 += v13; v5 = BitOperations.RotateRight(v5 ^ v9, 7);
        v2 += v6 + m7; v14 = BitOperations.RotateRight(v14 ^ v2, 16); v10 += v14; v6 = BitOperations.RotateRight(v6 ^ v10, 12);
        v2 += v6 + m6; v14 = BitOperations.RotateRight(v14 ^ v2, 8); v10 += v14; v6 = BitOperations.RotateRight(v6 ^ v10, 7);
        v3 += v7 + m1; v15 = BitOperations.RotateRight(v15 ^ v3, 16); v11 += v15; v7 = BitOperations.RotateRight(v7 ^ v11, 12);
        v3 += v7 + m5; v15 = BitOperations.RotateRight(v15 ^ v3, 8); v11 += v15; v7 = BitOperations.RotateRight(v7 ^ v11, 7);
        v0 += v5 + m15; v15 = BitOperations.RotateRight(v15 ^ v0, 16); v10 += v15; v5 = BitOperations.RotateRight(v5 ^ v10, 12);
        v0 += v5 + m11; v15 = BitOperations.RotateRight(v15 ^ v0, 8); v10 += v15; v5 = BitOperations.RotateRight(v5 ^ v10, 7);
        v1 += v6 + m9; v12 = BitOperations.RotateRight(v12 ^ v1, 16); v11 += v12; v6 = BitOperations.RotateRight(v6 ^ v11, 12);
        v1 += v6 + m14; v12 = BitOperations.RotateRight(v12 ^ v1, 8); v11 += v12; v6 = BitOperations.RotateRight(v6 ^ v11, 7);
        v2 += v7 + m3; v13 = BitOperations.RotateRight(v13 ^ v2, 16); v8 += v13; v7 = BitOperations.RotateRight(v7 ^ v8, 12);
        v2 += v7 + m12; v13 = BitOperations.RotateRight(v13 ^ v2, 8); v8 += v13; v7 = BitOperations.RotateRight(v7 ^ v8, 7);
        v3 += v4 + m13; v14 = BitOperations.RotateRight(v14 ^ v3, 16); v9 += v14; v4 = BitOperations.RotateRight(v4 ^ v9, 12);
        v3 += v4 + m0; v14 = BitOperations.RotateRight(v14 ^ v3, 8); v9 += v14; v4 = BitOperations.RotateRight(v4 ^ v9, 7);

        h[0] ^= v0 ^ v8;
        h[1] ^= v1 ^ v9;
        h[2] ^= v2 ^ v10;
        h[3] ^= v3 ^ v11;
        h[4] ^= v4 ^ v12;
        h[5] ^= v5 ^ v13;
        h[6] ^= v6 ^ v14;
        h[7] ^= v7 ^ v15;
    }

    /// <summary>The compression function on 128-bit vectors: one row of the 4x4 state per vector.</summary>
    [SkipLocalsInit]
    internal static void CompressVector(ref ChainingValue h, ReadOnlySpan<byte> block, ulong length, bool final)
    {
        uint m0 = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(0, 4));
        uint m1 = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(4, 4));
        uint m2 = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(8, 4));
        uint m3 = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(12, 4));
        uint m4 = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(16, 4));
        uint m5 = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(20, 4));
        uint m6 = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(24, 4));
        uint m7 = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(28, 4));
        uint m8 = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(32, 4));
        uint m9 = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(36, 4));
        uint m10 = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(40, 4));
        uint m11 = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(44, 4));
        uint m12 = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(48, 4));
        uint m13 = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(52, 4));
        uint m14 = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(56, 4));
        uint m15 = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(60, 4));

        ref Vector128<uint> hv = ref Unsafe.As<ChainingValue, Vector128<uint>>(ref h);
        Vector128<uint> row1 = hv;
        Vector128<uint> row2 = Unsafe.Add(ref hv, 1);
        Vector128<uint> row3 = Vector128.Create(IV0, IV1, IV2, IV3);
        Vector128<uint> row4 = Vector128.Create(IV4 ^ (uint)length, IV5 ^ (uint)(length >> 32), final ? ~IV6 : IV6, IV7);
        Vector128<uint> first = row1;
        Vector128<uint> second = row2;

        // Round 0: columns, then diagonals.
        row1 += row2 + Vector128.Create(m0, m2, m4, m6); row4 = Rotate16(row4 ^ row1); row3 += row4; row2 = Rotate12(row2 ^ row3);
        row1 += row2 + Vector128.Create(m1, m3, m5, m7); row4 = Rotate8(row4 ^ row1); row3 += row4; row2 = Rotate7(row2 ^ row3);
        row2 = Vector128.Shuffle(row2, Vector128.Create(1u, 2, 3, 0)); row3 = Vector128.Shuffle(row3, Vector128.Create(2u, 3, 0, 1)); row4 = Vector128.Shuffle(row4, Vector128.Create(3u, 0, 1, 2));
        row1 += row2 + Vector128.Create(m8, m10, m12, m14); row4 = Rotate16(row4 ^ row1); row3 += row4; row2 = Rotate12(row2 ^ row3);
        row1 += row2 + Vector128.Create(m9, m11, m13, m15); row4 = Rotate8(row4 ^ row1); row3 += row4; row2 = Rotate7(row2 ^ row3);
        row2 = Vector128.Shuffle(row2, Vector128.Create(3u, 0, 1, 2)); row3 = Vector128.Shuffle(row3, Vector128.Create(2u, 3, 0, 1)); row4 = Vector128.Shuffle(row4, Vector128.Create(1u, 2, 3, 0));
        // Round 1: columns, then diagonals.
        row1 += row2 + Vector128.Create(m14, m4, m9, m13); row4 = Rotate16(row4 ^ row1); row3 += row4; row2 = Rotate12(row2 ^ row3);
        row1 += row2 + Vector128.Create(m10, m8, m15, m6); row4 = Rotate8(row4 ^ row1); row3 += row4; row2 = Rotate7(row2 ^ row3);
        row2 = Vector128.Shuffle(row2, Vector128.Create(1u, 2, 3, 0)); row3 = Vector128.Shuffle(row3, Vector128.Create(2u, 3, 0, 1)); row4 = Vector128.Shuffle(row4, Vector128.Create(3u, 0, 1, 2));
        row1 += row2 + Vector128.Create(m1, m0, m11, m5); row4 = Rotate16(row4 ^ row1); row3 += row4; row2 = Rotate12(row2 ^ row3);
        row1 += row2 + Vector128.Create(m12, m2, m7, m3); row4 = Rotate8(row4 ^ row1); row3 += row4; row2 = Rotate7(row2 ^ row3);
        row2 = Vector128.Shuffle(row2, Vector128.Create(3u, 0, 1, 2)); row3 = Vector128.Shuffle(row3, Vector128.Create(2u, 3, 0, 1)); row4 = Vector128.Shuffle(row4, Vector128.Create(1u, 2, 3, 0));
        // Round 2: columns, then diagonals.
        row1 += row2 + Vector128.Create(m11, m12, m5, m15); row4 = Rotate16(row4 ^ row1); row3 += row4; row2 = Rotate12(row2 ^ row3);
        row1 += row2 + Vector128.Create(m8, m0, m2, m13); row4 = Rotate8(row4 ^ row1); row3 += row4; row2 = Rotate7(row2 ^ row3);
        row2 = Vector128.Shuffle(row2, Vector128.Create(1u, 2, 3, 0)); row3 = Vector128.Shuffle(row3, Vector128.Create(2u, 3, 0, 1)); row4 = Vector128.Shuffle(row4, Vector128.Create(3u, 0, 1, 2));
        row1 += row2 + Vector128.Create(m10, m3, m7, m9); row4 = Rotate16(row4 ^ row1); row3 += row4; row2 = Rotate12(row2 ^ row3);
        row1 += row2 + Vector128.Create(m14, m6, m1, m4); row4 = Rotate8(row4 ^ row1); row3 += row4; row2 = Rotate7(row2 ^ row3);
        row2 = Vector128.Shuffle(row2, Vector128.Create(3u, 0, 1, 2)); row3 = Vector128.Shuffle(row3, Vector128.Create(2u, 3, 0, 1)); row4 = Vector128.Shuffle(row4, Vector128.Create(1u, 2, 3, 0));
        // Round 3: columns, then diagonals.
        row1 += row2 + Vector128.Create(m7, m3, m13, m11); row4 = Rotate16(row4 ^ row1); row3 += row4; row2 = Rotate12(row2 ^ row3);
        row1 += row2 + Vector128.Create(m9, m1, m12, m14); row4 = Rotate8(row4 ^ row1); row3 += row4; row2 = Rotate7(row2 ^ row3);
        row2 = Vector128.Shuffle(row2, Vector128.Create(1u, 2, 3, 0)); row3 = Vector128.Shuffle(row3, Vector128.Create(2u, 3, 0, 1)); row4 = Vector128.Shuffle(row4, Vector128.Create(3u, 0, 1, 2));
        row1 += row2 + Vector128.Create(m2, m5, m4, m15); row4 = Rotate16(row4 ^ row1); row3 += row4; row2 = Rotate12(row2 ^ row3);
        row1 += row2 + Vector128.Create(m6, m10, m0, m8); row4 = Rotate8(row4 ^ row1); row3 += row4; row2 = Rotate7(row2 ^ row3);
        row2 = Vector128.Shuffle(row2, Vector128.Create(3u, 0, 1, 2)); row3 = Vector128.Shuffle(row3, Vector128.Create(2u, 3, 0, 1)); row4 = Vector128.Shuffle(row4, Vector128.Create(1u, 2, 3, 0));
        // Round 4: columns, then diagonals.
        row1 += row2 + Vector128.Create(m9, m5, m2, m10); row4 = Rotate16(row4 ^ row1); row3 += row4; row2 = Rotate12(row2 ^ row3);
        row1 += row2 + Vector128.Create(m0, m7, m4, m15); row4 = Rotate8(row4 ^ row1); row3 += row4; row2 = Rotate7(row2 ^ row3);
        row2 = Vector128.Shuffle(row2, Vector128.Create(1u, 2, 3, 0)); row3 = Vector128.Shuffle(row3, Vector128.Create(2u, 3, 0, 1)); row4 = Vector128.Shuffle(row4, Vector128.Create(3u, 0, 1, 2));
        row1 += row2 + Vector128.Create(m14, m11, m6, m3); row4 = Rotate16(row4 ^ row1); row3 += row4; row2 = Rotate12(row2 ^ row3);
        row1 += row2 + Vector128.Create(m1, m12, m8, m13); row4 = Rotate8(row4 ^ row1); row3 += row4; row2 = Rotate7(row2 ^ row3);
        row2 = Vector128.Shuffle(row2, Vector128.Create(3u, 0, 1, 2)); row3 = Vector128.Shuffle(row3, Vector128.Create(2u, 3, 0, 1)); row4 = Vector128.Shuffle(row4, Vector128.Create(1u, 2, 3, 0));
        // Round 5: columns, then diagonals.
        row1 += row2 + Vector128.Create(m2, m6, m0, m8); row4 = Rotate16(row4 ^ row1); row3 += row4; row2 = Rotate12(row2 ^ row3);
        row1 += row2 + Vector128.Create(m12, m10, m11, m3); row4 = Rotate8(row4 ^ row1); row3 += row4; row2 = Rotate7(row2 ^ row3);
        row2 = Vector128.Shuffle(row2, Vector128.Create(1u, 2, 3, 0)); row3 = Vector128.Shuffle(row3, Vector128.Create(2u, 3, 0, 1)); row4 = Vector128.Shuffle(row4, Vector128.Create(3u, 0, 1, 2));
        row1 += row2 + Vector128.Create(m4, m7, m15, m1); row4 = Rotate16(row4 ^ row1); row3 += row4; row2 = Rotate12(row2 ^ row3);
        row1 += row2 + Vector128.Create(m13, m5, m14, m9); row4 = Rotate8(row4 ^ row1); row3 += row4; row2 = Rotate7(row2 ^ row3);
        row2 = Vector128.Shuffle(row2, Vector128.Create(3u, 0, 1, 2)); row3 = Vector128.Shuffle(row3, Vector128.Create(2u, 3, 0, 1)); row4 = Vector128.Shuffle(row4, Vector128.Create(1u, 2, 3, 0));
        // Round 6: columns, then diagonals.
        row1 += row2 + Vector128.Create(m12, m1, m14, m4); row4 = Rotate16(row4 ^ row1); row3 += row4; row2 = Rotate12(row2 ^ row3);
        row1 += row2 + Vector128.Create(m5, m15, m13, m10); row4 = Rotate8(row4 ^ row1); row3 += row4; row2 = Rotate7(row2 ^ row3);
        row2 = Vector128.Shuffle(row2, Vector128.Create(1u, 2, 3, 0)); row3 = Vector128.Shuffle(row3, Vector128.Create(2u, 3, 0, 1)); row4 = Vector128.Shuffle(row4, Vector128.Create(3u, 0, 1, 2));
        row1 += row2 + Vector128.Create(m0, m6, m9, m8); row4 = Rotate16(row4 ^ row1); row3 += row4; row2 = Rotate12(row2 ^ row3);
        row1 += row2 + Vector128.Create(m7, m3, m2, m11); row4 = Rotate8(row4 ^ row1); row3 += row4; row2 = Rotate7(row2 ^ row3);
        row2 = Vector128.Shuffle(row2, Vector128.Create(3u, 0, 1, 2)); row3 = Vector128.Shuffle(row3, Vector128.Create(2u, 3, 0, 1)); row4 = Vector128.Shuffle(row4, Vector128.Create(1u, 2, 3, 0));
        // Round 7: columns, then diagonals.
        row1 += row2 + Vector128.Create(m13, m7, m12, m3); row4 = Rotate16(row4 ^ row1); row3 += row4; row2 = Rotate12(row2 ^ row3);
        row1 += row2 + Vector128.Create(m11, m14, m1, m9); row4 = Rotate8(row4 ^ row1); row3 += row4; row2 = Rotate7(row2 ^ row3);
        row2 = Vector128.Shuffle(row2, Vector128.Create(1u, 2, 3, 0)); row3 = Vector128.Shuffle(row3, Vector128.Create(2u, 3, 0, 1)); row4 = Vector128.Shuffle(row4, Vector128.Create(3u, 0, 1, 2));
        row1 += row2 + Vector128.Create(m5, m15, m8, m2); row4 = Rotate16(row4 ^ row1); row3 += row4; row2 = Rotate12(row2 ^ row3);
        row1 += row2 + Vector128.Create(m0, m4, m6, m10); row4 = Rotate8(row4 ^ row1); row3 += row4; row2 = Rotate7(row2 ^ row3);
        row2 = Vector128.Shuffle(row2, Vector128.Create(3u, 0, 1, 2)); row3 = Vector128.Shuffle(row3, Vector128.Create(2u, 3, 0, 1)); row4 = Vector128.Shuffle(row4, Vector128.Create(1u, 2, 3, 0));
        // Round 8: columns, then diagonals.
        row1 += row2 + Vector128.Create(m6, m14, m11, m0); row4 = Rotate16(row4 ^ row1); row3 += row4; row2 = Rotate12(row2 ^ row3);
        row1 += row2 + Vector128.Create(m15, m9, m3, m8); row4 = Rotate8(row4 ^ row1); row3 += row4; row2 = Rotate7(row2 ^ row3);
        row2 = Vector128.Shuffle(row2, Vector128.Create(1u, 2, 3, 0)); row3 = Vector128.Shuffle(row3, Vector128.Create(2u, 3, 0, 1)); row4 = Vector128.Shuffle(row4, Vector128.Create(3u, 0, 1, 2));
        row1 += row2 + Vector128.Create(m12, m13, m1, m10); row4 = Rotate16(row4 ^ row1); row3 += row4; row2 = Rotate12(row2 ^ row3);
        row1 += row2 + Vector128.Create(m2, m7, m4, m5); row4 = Rotate8(row4 ^ row1); row3 += row4; row2 = Rotate7(row2 ^ row3);
        row2 = Vector128.Shuffle(row2, Vector128.Create(3u, 0, 1, 2)); row3 = Vector128.Shuffle(row3, Vector128.Create(2u, 3, 0, 1)); row4 = Vector128.Shuffle(row4, Vector128.Create(1u, 2, 3, 0));
        // Round 9: columns, then diagonals.
        row1 += row2 + Vector128.Create(m10, m8, m7, m1); row4 = Rotate16(row4 ^ row1); row3 += row4; row2 = Rotate12(row2 ^ row3);
        row1 += row2 + Vector128.Create(m2, m4, m6, m5); row4 = Rotate8(row4 ^ row1); row3 += row4; row2 = Rotate7(row2 ^ row3);
        row2 = Vector128.Shuffle(row2, Vector128.Create(1u, 2, 3, 0)); row3 = Vector128.Shuffle(row3, Vector128.Create(2u, 3, 0, 1)); row4 = Vector128.Shuffle(row4, Vector128.Create(3u, 0, 1, 2));
        row1 += row2 + Vector128.Create(m15, m9, m3, m13); row4 = Rotate16(row4 ^ row1); row3 += row4; row2 = Rotate12(row2 ^ row3);
        row1 += row2 + Vector128.Create(m11, m14, m12, m0); row4 = Rotate8(row4 ^ row1); row3 += row4; row2 = Rotate7(row2 ^ row3);
        row2 = Vector128.Shuffle(row2, Vector128.Create(3u, 0, 1, 2)); row3 = Vector128.Shuffle(row3, Vector128.Create(2u, 3, 0, 1)); row4 = Vector128.Shuffle(row4, Vector128.Create(1u, 2, 3, 0));

        hv = first ^ row1 ^ row3;
        Unsafe.Add(ref hv, 1) = second ^ row2 ^ row4;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> Rotate16(Vector128<uint> x) =>
        Vector128.Shuffle(x.AsByte(), Vector128.Create((byte)2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13)).AsUInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> Rotate8(Vector128<uint> x) =>
        Vector128.Shuffle(x.AsByte(), Vector128.Create((byte)1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12)).AsUInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> Rotate12(Vector128<uint> x) =>
        Avx512F.VL.IsSupported ? Avx512F.VL.RotateRight(x, 12) : Vector128.ShiftRightLogical(x, 12) | Vector128.ShiftLeft(x, 20);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> Rotate7(Vector128<uint> x) =>
        Avx512F.VL.IsSupported ? Avx512F.VL.RotateRight(x, 7) : Vector128.ShiftRightLogical(x, 7) | Vector128.ShiftLeft(x, 25);

    [InlineArray(8)]
    internal struct ChainingValue
    {
        private uint _element;
    }

    [InlineArray(BlockSize)]
    private struct Block
    {
        private byte _element;
    }
}
