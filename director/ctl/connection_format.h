#pragma once
// `directorctl -Lc [-n]`: our flows as `ipvsadm -Lcn` lists IPVS's (ipvsadm.c list_conn /
// print_conn): the same title and columns, the expiry as MM:SS, UDP flows in state "UDP".
// Pure: a ConnectionList in, text out.
#include <string>

#include "admin.pb.h"
#include "director/ctl/endpoint_names.h"

namespace ha::director {

std::string formatConnections(const directord::admin::ConnectionList& list,
                              EndpointNames* names = nullptr);

}  // namespace ha::director
