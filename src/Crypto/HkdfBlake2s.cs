using System.Security.Cryptography;
using RouterHost.Crypto.Internal;

namespace RouterHost.Crypto;

/// <summary>
/// HKDF (RFC 5869) over HMAC-BLAKE2s with empty info, in the form WireGuard calls KDF1/KDF2/KDF3:
/// τ0 = HMAC(key, input), τ1 = HMAC(τ0, 0x01), τi = HMAC(τ0, τ(i-1) || i). Outputs are 32 bytes each.
/// </summary>
public static class HkdfBlake2s
{
    /// <summary>Output size of each derived value in bytes.</summary>
    public const int OutputSize = 32;

    /// <summary>
    /// Derives one, two or three 32-byte values: pass an empty <paramref name="output2"/> / <paramref name="output3"/>
    /// for KDF1 / KDF2. <paramref name="key"/> is the chaining key; outputs may alias it (they are written last).
    /// </summary>
    public static void Derive(ReadOnlySpan<byte> key, ReadOnlySpan<byte> input, Span<byte> output1, Span<byte> output2, Span<byte> output3)
    {
        if (output1.Length != OutputSize)
        {
            ThrowHelper.ArgumentLength(nameof(output1), OutputSize);
        }

        if (!output2.IsEmpty && output2.Length != OutputSize)
        {
            ThrowHelper.ArgumentLength(nameof(output2), OutputSize);
        }

        if (!output3.IsEmpty && (output3.Length != OutputSize || output2.IsEmpty))
        {
            ThrowHelper.ArgumentLength(nameof(output3), OutputSize);
        }

        Span<byte> prk = stackalloc byte[OutputSize];
        Span<byte> t1 = stackalloc byte[OutputSize];
        Span<byte> t2 = stackalloc byte[OutputSize];
        Span<byte> counter = stackalloc byte[1];

        HmacBlake2s.ComputeCore(key, input, ReadOnlySpan<byte>.Empty, prk);
        counter[0] = 1;
        HmacBlake2s.ComputeCore(prk, counter, ReadOnlySpan<byte>.Empty, t1);
        if (!output2.IsEmpty)
        {
            counter[0] = 2;
            HmacBlake2s.ComputeCore(prk, t1, counter, t2);
            if (!output3.IsEmpty)
            {
                counter[0] = 3;
                HmacBlake2s.ComputeCore(prk, t2, counter, output3);
            }

            t2.CopyTo(output2);
        }

        t1.CopyTo(output1);
        CryptographicOperations.ZeroMemory(prk);
        CryptographicOperations.ZeroMemory(t1);
        CryptographicOperations.ZeroMemory(t2);
    }
}
