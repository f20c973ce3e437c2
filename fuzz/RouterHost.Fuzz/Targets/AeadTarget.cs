using RouterHost.Crypto;
using RouterHost.Crypto.Internal;

namespace RouterHost.Fuzz.Targets;

/// <summary>
/// Our own ChaCha20-Poly1305 (C# over AVX-512) against OpenSSL's, differentially, on attacker-shaped input: the first
/// byte picks the associated data's length (0 … 255 bytes, taken after the key and nonce), which bit of the sealed
/// message to flip, and whether to open in place; the next 44 bytes are the key and nonce (zero-padded), the rest is the
/// plaintext. Invariants: both seal to the same bytes; ours opens OpenSSL's message (in place or not) to the plaintext;
/// the message with one bit flipped, or with other associated data, does not open and leaves the output cleared. Where
/// the CPU has no AVX-512 the public API's choice stands in for ours, so the target still runs.
/// </summary>
internal sealed class AeadTarget : IFuzzTarget
{
    public const string TargetName = "aead";

    private readonly ChaCha20Poly1305 _aead = AeadAlgorithm.ChaCha20Poly1305;
    private readonly NativeBackend _ours = Avx512ChaCha20Poly1305.IsSupported ? NativeBackend.Avx512 : BackendChoice.ChaCha20Poly1305;
    private readonly NativeBackend _reference = OpenSslLibrary.IsSupported ? NativeBackend.OpenSsl : NativeBackend.Sodium;

    public string Name => TargetName;

    public string Description => "ChaCha20-Poly1305: our AVX-512 code against OpenSSL's on the same key, nonce, associated data and plaintext (seal, open in and out of place, a flipped bit, other associated data)";

    public void Run(ReadOnlySpan<byte> input)
    {
        FuzzInput.Split(input, out byte control, out ReadOnlySpan<byte> rest);
        Span<byte> keyAndNonce = stackalloc byte[44];
        keyAndNonce.Clear();
        rest[..Math.Min(rest.Length, 44)].CopyTo(keyAndNonce);
        rest = rest[Math.Min(rest.Length, 44)..];
        ReadOnlySpan<byte> ad = rest[..Math.Min(rest.Length, control)];
        ReadOnlySpan<byte> plaintext = rest[ad.Length..];

        using AeadKey key = _aead.ImportKey(keyAndNonce[..32]);
        ReadOnlySpan<byte> nonce = keyAndNonce[32..];
        byte[] ours = new byte[plaintext.Length + 16];
        byte[] reference = new byte[plaintext.Length + 16];
        _aead.Seal(_ours, key, nonce, plaintext, ad, ours);
        _aead.Seal(_reference, key, nonce, plaintext, ad, reference);
        InvariantViolationException.Check(ours.AsSpan().SequenceEqual(reference), "our seal equals OpenSSL's");

        byte[] opened = new byte[plaintext.Length];
        bool inPlace = (control & 1) != 0;
        bool ok = inPlace
            ? _aead.Open(_ours, key, nonce, reference, ad, reference.AsSpan(0, plaintext.Length))
            : _aead.Open(_ours, key, nonce, reference, ad, opened);
        InvariantViolationException.Check(ok, "our open accepts OpenSSL's message");
        InvariantViolationException.Check((inPlace ? reference.AsSpan(0, plaintext.Length) : opened).SequenceEqual(plaintext), "our open gives the plaintext back");

        int bit = (control * 131) % (ours.Length * 8);
        ours[bit / 8] ^= (byte)(1 << (bit % 8));
        opened.AsSpan().Fill(0xAA);
        InvariantViolationException.Check(!_aead.Open(_ours, key, nonce, ours, ad, opened), "a flipped bit does not open");
        InvariantViolationException.Check(!opened.AsSpan().ContainsAnyExcept((byte)0), "a refused message leaves the output cleared");
        ours[bit / 8] ^= (byte)(1 << (bit % 8));

        byte[] otherAd = [.. ad, 0];
        InvariantViolationException.Check(!_aead.Open(_ours, key, nonce, ours, otherAd, opened), "other associated data does not open");
    }

    public IEnumerable<KeyValuePair<string, byte[]>> Seeds()
    {
        byte[] Seed(byte control, int length)
        {
            byte[] seed = new byte[1 + 44 + control + length];
            seed[0] = control;
            for (int i = 1; i < seed.Length; i++)
            {
                seed[i] = (byte)(i * 7);
            }

            return seed;
        }

        yield return new("empty", Seed(0, 0));
        yield return new("keepalive-like-ad", Seed(16, 0));
        yield return new("64-bytes", Seed(0, 64));
        yield return new("193-bytes-in-place", Seed(1, 193));
        yield return new("449-bytes", Seed(2, 449));
        yield return new("1420-bytes", Seed(0, 1420));
        yield return new("long-ad-2000-bytes", Seed(255, 2000));
    }
}
