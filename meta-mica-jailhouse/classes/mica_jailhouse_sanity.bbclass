# INHERITed by conf/layer.conf. One ConfigParsed handler, run once on the
# configuration before any recipe is parsed:
#   - refuses a misconfiguration (openamp + jailhouse, a word that merely
#     contains "jailhouse" such as "openampjailhouse", an unknown revision);
#   - only when MCS_FEATURES contains "jailhouse": adds the "mcs-jailhouse"
#     override to DISTROOVERRIDES and the layer's PREFERRED_RPROVIDERs.
# Without "jailhouse" it changes nothing: not a variable, so no task signature
# of any recipe or image (a DISTROOVERRIDES:append in layer.conf would change
# DISTROOVERRIDES' unexpanded value, which signatures hash, even when empty).

inherit mica_jailhouse_common

addhandler mica_jailhouse_sanity_handler
mica_jailhouse_sanity_handler[eventmask] = "bb.event.ConfigParsed"

python mica_jailhouse_sanity_handler() {
    mica_jailhouse_check(e.data)
    mica_jailhouse_configure(e.data)
}
