using RouterHost.Crypto.Internal;

namespace RouterHost.Crypto.Tests;

/// <summary>
/// A published known-answer vector of an AEAD — key, nonce, associated data, plaintext and what sealing it gives
/// (ciphertext then tag) — and the checks every such vector gets through a native backend: it seals to the published
/// bytes, and those bytes open to the plaintext.
/// </summary>
internal sealed class AeadVector(AeadAlgorithm algorithm, byte[] key, byte[] nonce, byte[] ad, byte[] plaintext, byte[] sealedBytes)
{
    public byte[] Key => key;

    public byte[] Nonce => nonce;

    public byte[] Plaintext => plaintext;

    public byte[] Sealed => sealedBytes;

    /// <summary>Seals the plaintext through <paramref name="backend"/> and asserts the published bytes come out.</summary>
    public void AssertSeals(NativeBackend backend)
    {
        using AeadKey aeadKey = algorithm.ImportKey(key);
        byte[] output = new byte[plaintext.Length + 16];
        algorithm.Seal(backend, aeadKey, nonce, plaintext, ad, output);
        Assert.Equal(sealedBytes, output);
    }

    /// <summary>Opens the published bytes through <paramref name="backend"/> and asserts the plaintext comes out.</summary>
    public void AssertOpens(NativeBackend backend)
    {
        byte[] opened = new byte[plaintext.Length];
        Assert.True(TryOpen(backend, sealedBytes, nonce, opened));
        Assert.Equal(plaintext, opened);
    }

    /// <summary>Whether the published bytes open with byte <paramref name="index"/> XORed with <paramref name="mask"/>.</summary>
    public bool OpensFlipped(NativeBackend backend, int index, byte mask, byte[] opened)
    {
        byte[] tampered = (byte[])sealedBytes.Clone();
        tampered[index] ^= mask;
        return TryOpen(backend, tampered, nonce, opened);
    }

    /// <summary>Whether <paramref name="sealedInput"/> opens under <paramref name="withNonce"/> (into <paramref name="opened"/>).</summary>
    public bool TryOpen(NativeBackend backend, byte[] sealedInput, byte[] withNonce, byte[] opened)
    {
        using AeadKey aeadKey = algorithm.ImportKey(key);
        return algorithm.Open(backend, aeadKey, withNonce, sealedInput, ad, opened);
    }
}
