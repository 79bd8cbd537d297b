/* The monitor's side effects as the daemon has them (monitor_state.h). */
#include "monitor/monitor_state.h"

#include "monitor/active.h"
#include "monitor/broker.h"

const struct monitor_ops monitor_sys_ops = {
	.spawn_engine = mon_sys_spawn_engine,
	.spawn_relay = mon_sys_spawn_relay,
	.spawn_standby = mon_sys_spawn_standby,
	.pam_open = pam_login_open,
	.pam_close = pam_login_close,
	.pasv_listen = broker_pasv_listen,
	.pasv_listen_any = broker_pasv_listen_any,
	.active_connect = active_connect,
	.lock_down = mon_sys_lock_down,
};
