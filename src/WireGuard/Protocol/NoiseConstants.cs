using System.Text;
using RouterHost.Crypto;

namespace RouterHost.WireGuard.Protocol;

/// <summary>The protocol's fixed strings and the chaining key and hash every handshake starts from.</summary>
internal static class NoiseConstants
{
    public static ReadOnlySpan<byte> Construction => "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"u8;

    public static ReadOnlySpan<byte> Identifier => "WireGuard v1 zx2c4 Jason@zx2c4.com"u8;

    public static ReadOnlySpan<byte> LabelMac1 => "mac1----"u8;

    public static ReadOnlySpan<byte> LabelCookie => "cookie--"u8;

    /// <summary>C₀ = HASH(CONSTRUCTION).</summary>
    public static readonly byte[] InitialChainKey = ComputeChainKey();

    /// <summary>H₀ = HASH(C₀ ‖ IDENTIFIER).</summary>
    public static readonly byte[] InitialHash = ComputeHash();

    private static byte[] ComputeChainKey()
    {
        var chainKey = new byte[32];
        Blake2s.Hash(Construction, chainKey);
        return chainKey;
    }

    private static byte[] ComputeHash()
    {
        var hash = new byte[32];
        Blake2s.Hash(ComputeChainKey(), Identifier, hash);
        return hash;
    }

    /// <summary>HASH(label ‖ public key): the MAC1 key or the cookie key of the owner of <paramref name="publicKey"/>.</summary>
    public static void LabelledKey(ReadOnlySpan<byte> label, ReadOnlySpan<byte> publicKey, Span<byte> key) =>
        Blake2s.Hash(label, publicKey, key);

    /// <summary>For diagnostics and tests.</summary>
    public static string Describe() => Encoding.ASCII.GetString(Construction);
}
