using System.Runtime.InteropServices;
using System.Security.Cryptography;
using RouterHost.Crypto.Internal;

namespace RouterHost.Crypto;

/// <summary>
/// Authenticated encryption with associated data. Ciphertext is always followed by a <see cref="TagSize"/>-byte
/// tag. <c>Seal</c> and <c>Open</c> work on caller spans, in place or out of place, allocate nothing, and
/// may be called concurrently from any number of threads with the same <see cref="AeadKey"/>.
/// <c>Open</c> returns <see langword="false"/> on authentication failure (and for input too short to hold a tag);
/// it never throws for bad input data, only for misuse (wrong key algorithm, wrong buffer sizes, disposed key).
/// </summary>
public abstract class AeadAlgorithm : Algorithm
{
    private static readonly ChaCha20Poly1305 s_chaCha20Poly1305 = new();
    private static readonly XChaCha20Poly1305 s_xChaCha20Poly1305 = new();

    private protected AeadAlgorithm(int nonceSize)
    {
        NonceSize = nonceSize;
    }

    /// <summary>ChaCha20-Poly1305 as in RFC 8439 (12-byte nonce); the WireGuard transport cipher.</summary>
    public static ChaCha20Poly1305 ChaCha20Poly1305 => s_chaCha20Poly1305;

    /// <summary>XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha, 24-byte nonce); WireGuard's cookie cipher.</summary>
    public static XChaCha20Poly1305 XChaCha20Poly1305 => s_xChaCha20Poly1305;

    /// <summary>Key size in bytes (32).</summary>
    public int KeySize => 32;

    /// <summary>Nonce size in bytes.</summary>
    public int NonceSize { get; }

    /// <summary>Authentication tag size in bytes (16).</summary>
    public int TagSize => 16;

    /// <summary>Takes a copy of <paramref name="key"/> into pinned memory wiped when the key is disposed.</summary>
    public AeadKey ImportKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeySize)
        {
            ThrowHelper.ArgumentLength(nameof(key), KeySize);
        }

        return new AeadKey(this, key);
    }

    /// <summary>Creates a key from the operating system's CSPRNG.</summary>
    public AeadKey GenerateKey()
    {
        Span<byte> key = stackalloc byte[32];
        RandomNumberGenerator.Fill(key);
        AeadKey result = new(this, key);
        CryptographicOperations.ZeroMemory(key);
        return result;
    }

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> into <paramref name="ciphertextAndTag"/> (plaintext length + 16).
    /// The output may start exactly where the plaintext starts (in place) but must not otherwise overlap it.
    /// </summary>
    public void Seal(AeadKey key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> ciphertextAndTag) =>
        Seal(BackendChoice.ChaCha20Poly1305For(plaintext.Length), key, nonce, plaintext, associatedData, ciphertextAndTag);

    /// <summary>
    /// Encrypts in place: <paramref name="message"/> holds the plaintext followed by 16 spare bytes that receive the tag.
    /// </summary>
    public void Seal(AeadKey key, ReadOnlySpan<byte> nonce, Span<byte> message, ReadOnlySpan<byte> associatedData)
    {
        if (message.Length < TagSize)
        {
            ThrowHelper.ArgumentLength(nameof(message), TagSize);
        }

        Seal(BackendChoice.ChaCha20Poly1305For(message.Length - TagSize), key, nonce, message[..^TagSize], associatedData, message);
    }

    /// <summary>
    /// Verifies and decrypts <paramref name="ciphertextAndTag"/> into <paramref name="plaintext"/> (exactly 16 bytes shorter).
    /// Returns false, and clears <paramref name="plaintext"/>, when authentication fails.
    /// </summary>
    public bool Open(AeadKey key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertextAndTag, ReadOnlySpan<byte> associatedData, Span<byte> plaintext) =>
        Open(BackendChoice.ChaCha20Poly1305For(ciphertextAndTag.Length - TagSize), key, nonce, ciphertextAndTag, associatedData, plaintext);

    /// <summary>
    /// Verifies and decrypts in place: on success the plaintext is <c>message[..^16]</c>. Returns false on
    /// authentication failure, after clearing <c>message[..^16]</c>.
    /// </summary>
    public bool Open(AeadKey key, ReadOnlySpan<byte> nonce, Span<byte> message, ReadOnlySpan<byte> associatedData)
    {
        if (message.Length < TagSize)
        {
            ValidateCommon(key, nonce);
            return false;
        }

        return Open(BackendChoice.ChaCha20Poly1305For(message.Length - TagSize), key, nonce, message, associatedData, message[..^TagSize]);
    }

    internal unsafe void Seal(NativeBackend backend, AeadKey key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> ciphertextAndTag)
    {
        ValidateCommon(key, nonce);
        if (ciphertextAndTag.Length != plaintext.Length + TagSize)
        {
            ThrowHelper.ArgumentLength(nameof(ciphertextAndTag), plaintext.Length + TagSize);
        }

        if (plaintext.Overlaps(ciphertextAndTag, out int offset) && offset != 0)
        {
            ThrowHelper.Overlap(nameof(ciphertextAndTag));
        }

        if (associatedData.Overlaps(ciphertextAndTag))
        {
            ThrowHelper.Overlap(nameof(associatedData));
        }

        fixed (byte* n = nonce)
        fixed (byte* p = plaintext)
        fixed (byte* a = associatedData)
        fixed (byte* c = ciphertextAndTag)
        {
            SealCore(backend, key, n, p, plaintext.Length, a, associatedData.Length, c, c + plaintext.Length);
        }
    }

    internal unsafe bool Open(NativeBackend backend, AeadKey key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertextAndTag, ReadOnlySpan<byte> associatedData, Span<byte> plaintext)
    {
        ValidateCommon(key, nonce);
        if (ciphertextAndTag.Length < TagSize)
        {
            return false; // too short to be authentic: packet data, not misuse
        }

        int length = ciphertextAndTag.Length - TagSize;
        if (plaintext.Length != length)
        {
            ThrowHelper.ArgumentLength(nameof(plaintext), length);
        }

        if (ciphertextAndTag.Overlaps(plaintext, out int offset) && offset != 0)
        {
            ThrowHelper.Overlap(nameof(plaintext));
        }

        if (associatedData.Overlaps(plaintext))
        {
            ThrowHelper.Overlap(nameof(associatedData));
        }

        fixed (byte* n = nonce)
        fixed (byte* c = ciphertextAndTag)
        fixed (byte* a = associatedData)
        fixed (byte* p = plaintext)
        {
            return OpenCore(backend, key, n, c, length, c + length, a, associatedData.Length, p);
        }
    }

    private protected void ValidateCommon(AeadKey key, ReadOnlySpan<byte> nonce)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!ReferenceEquals(key.Algorithm, this))
        {
            ThrowHelper.WrongAlgorithm(nameof(key));
        }

        if (key.IsDisposed)
        {
            ThrowHelper.Disposed(key);
        }

        if (nonce.Length != NonceSize)
        {
            ThrowHelper.ArgumentLength(nameof(nonce), NonceSize);
        }
    }

    /// <summary>Whether the key's OpenSSL contexts are keyed once (true) or re-keyed on every call.</summary>
    internal abstract bool ContextHoldsKey { get; }

    private protected abstract unsafe void SealCore(NativeBackend backend, AeadKey key, byte* nonce, byte* plaintext, int length, byte* ad, int adLength, byte* ciphertext, byte* tag);

    private protected abstract unsafe bool OpenCore(NativeBackend backend, AeadKey key, byte* nonce, byte* ciphertext, int length, byte* tag, byte* ad, int adLength, byte* plaintext);
}
