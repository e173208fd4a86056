using ScanTools.Storage;
using StackExchange.Redis;

namespace ScanTools.Remote;

/// <summary>Opens StackExchange.Redis connections for a <see cref="RemoteCatalogAddress"/>; errors never carry the password.</summary>
internal static class RemoteConnection
{
    public static ConnectionMultiplexer Open(RemoteCatalogAddress address, string? password)
    {
        var options = new ConfigurationOptions
        {
            EndPoints = { { address.Host, address.Port } },
            User = address.User,
            Password = password,
            Ssl = address.Tls,
            AbortOnConnectFail = false, // keep reconnecting: a broker restart is expected, not fatal
            ConnectTimeout = 3000,
            ConnectRetry = 1,
            SyncTimeout = 10000,
            ClientName = "ScanTools-" + Environment.MachineName,
        };
        ConnectionMultiplexer redis;
        try
        {
            redis = ConnectionMultiplexer.Connect(options);
        }
        catch (RedisException ex)
        {
            throw Unreachable(address, ex);
        }
        try
        {
            redis.GetDatabase().Ping();
        }
        catch (RedisException ex)
        {
            redis.Dispose();
            throw Unreachable(address, ex);
        }
        return redis;
    }

    private static CatalogException Unreachable(RemoteCatalogAddress address, RedisException ex)
    {
        string why = ex.Message.Contains("NOAUTH", StringComparison.OrdinalIgnoreCase) || ex.Message.Contains("WRONGPASS", StringComparison.OrdinalIgnoreCase)
            || ex.Message.Contains("AuthenticationFailure", StringComparison.OrdinalIgnoreCase)
            ? $"it refused the credentials: give the password in ${RemoteCatalogAddress.PasswordVariable} or -Credential"
            : "it did not answer";
        return new CatalogException(CatalogErrorCode.OpenFailed, address.ToString(),
            $"The broker of '{address}' could not be used: {why}. Check that redis-server runs at {address.Host}:{address.Port} and is reachable from here.");
    }
}
