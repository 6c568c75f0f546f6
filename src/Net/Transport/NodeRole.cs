namespace BitFusion.Net.Transport;

/// <summary>What a process is; sent in the handshake so a server can refuse peers that have no business with it.</summary>
internal enum NodeRole : byte
{
    Client = 1,
    Primary = 2,
    Backup = 3,
    Manager = 4,
    DataNode = 5,
}
