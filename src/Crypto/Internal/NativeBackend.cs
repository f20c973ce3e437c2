namespace RouterHost.Crypto.Internal;

/// <summary>Which native library carries a primitive.</summary>
internal enum NativeBackend
{
    None = 0,
    OpenSsl,
    Sodium,
}
