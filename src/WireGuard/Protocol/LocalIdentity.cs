using RouterHost.Crypto;

namespace RouterHost.WireGuard.Protocol;

/// <summary>
/// This node's static key pair and the keys derived from its public key: the MAC1 key that messages sent to this
/// node carry and the key its cookie replies are encrypted with. Immutable and thread-safe; owns the private key.
/// </summary>
public sealed class LocalIdentity : IDisposable
{
    private readonly byte[] _publicKey = new byte[32];
    private readonly byte[] _mac1Key = new byte[32];
    private readonly byte[] _cookieKey = new byte[32];

    /// <summary>Takes ownership of <paramref name="privateKey"/>.</summary>
    public LocalIdentity(X25519PrivateKey privateKey)
    {
        PrivateKey = privateKey;
        privateKey.PublicKey.CopyTo(_publicKey);
        NoiseConstants.LabelledKey(NoiseConstants.LabelMac1, _publicKey, _mac1Key);
        NoiseConstants.LabelledKey(NoiseConstants.LabelCookie, _publicKey, _cookieKey);
    }

    /// <summary>The static private key.</summary>
    public X25519PrivateKey PrivateKey { get; }

    /// <summary>The static public key.</summary>
    public ReadOnlySpan<byte> PublicKey => _publicKey;

    /// <summary>HASH("mac1----" ‖ our public key): MAC1 of every handshake message sent to us is keyed with it.</summary>
    public ReadOnlySpan<byte> Mac1Key => _mac1Key;

    /// <summary>HASH("cookie--" ‖ our public key): our cookie replies are encrypted with it.</summary>
    public ReadOnlySpan<byte> CookieKey => _cookieKey;

    /// <summary>Wipes the private key.</summary>
    public void Dispose() => PrivateKey.Dispose();
}
