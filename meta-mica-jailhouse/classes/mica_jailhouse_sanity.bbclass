# INHERITed by conf/layer.conf: refuses a misconfiguration once, as soon as
# the configuration is parsed, before any recipe. Only an event handler:
# recipes and their signatures are unchanged.

inherit mica_jailhouse_common

addhandler mica_jailhouse_sanity_handler
mica_jailhouse_sanity_handler[eventmask] = "bb.event.ConfigParsed"

python mica_jailhouse_sanity_handler() {
    mica_jailhouse_check(e.data)
}
