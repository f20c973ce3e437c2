using System.Security.Cryptography;
using RouterHost.Crypto.Internal;

namespace RouterHost.Crypto;

/// <summary>
/// HMAC (RFC 2104) over BLAKE2s-256 with its 64-byte block, as WireGuard's HMAC and HKDF use it (WireGuard
/// does not use BLAKE2s' own keyed mode here). Output is always 32 bytes. No allocations; stack copies of
/// padded keys are wiped.
/// </summary>
public static class HmacBlake2s
{
    /// <summary>Output size in bytes.</summary>
    public const int HashSize = 32;

    /// <summary>HMAC-BLAKE2s(<paramref name="key"/>, <paramref name="data"/>) into a 32-byte <paramref name="mac"/>.</summary>
    public static void Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> mac)
    {
        if (mac.Length != HashSize)
        {
            ThrowHelper.ArgumentLength(nameof(mac), HashSize);
        }

        ComputeCore(key, data, ReadOnlySpan<byte>.Empty, mac);
    }

    /// <summary>HMAC over the concatenation <paramref name="data"/> || <paramref name="suffix"/>.</summary>
    internal static void ComputeCore(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> suffix, Span<byte> mac)
    {
        Span<byte> pad = stackalloc byte[Blake2s.BlockSize];
        pad.Clear();
        if (key.Length > Blake2s.BlockSize)
        {
            Blake2s.Hash(key, pad[..HashSize]);
        }
        else
        {
            key.CopyTo(pad);
        }

        for (int i = 0; i < pad.Length; i++)
        {
            pad[i] ^= 0x36;
        }

        Span<byte> inner = stackalloc byte[HashSize];
        Blake2s state = default;
        state.InitializeCore(HashSize, ReadOnlySpan<byte>.Empty);
        state.UpdateCore(pad);
        state.UpdateCore(data);
        state.UpdateCore(suffix);
        state.FinishCore(inner);

        for (int i = 0; i < pad.Length; i++)
        {
            pad[i] ^= 0x36 ^ 0x5c;
        }

        state.InitializeCore(HashSize, ReadOnlySpan<byte>.Empty);
        state.UpdateCore(pad);
        state.UpdateCore(inner);
        state.FinishCore(mac);

        CryptographicOperations.ZeroMemory(pad);
        CryptographicOperations.ZeroMemory(inner);
    }
}
